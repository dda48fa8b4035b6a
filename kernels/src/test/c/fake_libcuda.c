/*
 * A stand-in for libcuda.so.1, for testing the JNI layer on machines without a GPU. It implements the driver calls
 * carpathia_cuda.h uses with host memory: "device" allocations are malloc'ed blocks, copies are memcpy, modules accept
 * images that start with the fatbin magic, functions are looked up by name, and launches are appended to
 * launches.log beside this library (kernel name, grid, block, the first three parameters as ints). The matrix
 * product and NF4 kernels are also computed, plainly, from their names and parameters (so that CudaKernels' check of
 * each kernel's first launch sees a right answer).
 *
 * Compiled by FakeDriver in these flavours:
 *   (default)            a working one-device driver ("Fake GPU", sm_90, 132 SMs, 1 GiB)
 *   -DFAKE_NO_DEVICE     cuInit fails with CUDA_ERROR_NO_DEVICE, as on a machine whose driver sees no GPU
 *   -DFAKE_STUB          cuInit fails with CUDA_ERROR_STUB_LIBRARY, as the toolkit's stubs/libcuda.so does
 *   -DFAKE_WGMMA         a working driver whose probe kernel (carpathia_wgmma_available) says wgmma runs, as on an H100
 *   -DFAKE_BROKEN        FAKE_WGMMA with wrong kernels, for the first-launch check: the warpgroup kernels and
 *                        carpathia_sgemm_nn* add 1 to every element of C, carpathia_sgemm_tn* also writes the float
 *                        after C's last element, and the NF4 kernels read the nibbles the wrong way round
 * Launches with more than 48 KiB of dynamic shared memory fail unless cuFuncSetAttribute raised the function's limit,
 * as with the real driver.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;

#ifdef FAKE_BROKEN
#define FAKE_WGMMA
#endif

enum {
    SUCCESS = 0,
    INVALID_VALUE = 1,
    OUT_OF_MEMORY = 2,
    NOT_INITIALIZED = 3,
    STUB_LIBRARY = 34,
    NO_DEVICE = 100,
    INVALID_DEVICE = 101,
    INVALID_IMAGE = 200,
    INVALID_CONTEXT = 201,
    INVALID_HANDLE = 400,
    NOT_FOUND = 500,
};

static const size_t TOTAL_MEMORY = 1ull << 30;
static size_t allocated;
static int initialised;
static int context_token;

static const char* error_name(CUresult code) {
    switch (code) {
        case SUCCESS: return "CUDA_SUCCESS";
        case INVALID_VALUE: return "CUDA_ERROR_INVALID_VALUE";
        case OUT_OF_MEMORY: return "CUDA_ERROR_OUT_OF_MEMORY";
        case NOT_INITIALIZED: return "CUDA_ERROR_NOT_INITIALIZED";
        case STUB_LIBRARY: return "CUDA_ERROR_STUB_LIBRARY";
        case NO_DEVICE: return "CUDA_ERROR_NO_DEVICE";
        case INVALID_DEVICE: return "CUDA_ERROR_INVALID_DEVICE";
        case INVALID_IMAGE: return "CUDA_ERROR_INVALID_IMAGE";
        case INVALID_CONTEXT: return "CUDA_ERROR_INVALID_CONTEXT";
        case INVALID_HANDLE: return "CUDA_ERROR_INVALID_HANDLE";
        case NOT_FOUND: return "CUDA_ERROR_NOT_FOUND";
        default: return NULL;
    }
}

CUresult cuGetErrorName(CUresult code, const char** name) {
    *name = error_name(code);
    return *name == NULL ? INVALID_VALUE : SUCCESS;
}

CUresult cuGetErrorString(CUresult code, const char** text) {
    switch (code) {
        case OUT_OF_MEMORY: *text = "out of memory"; return SUCCESS;
        case STUB_LIBRARY: *text = "CUDA driver is a stub library"; return SUCCESS;
        case NO_DEVICE: *text = "no CUDA-capable device is detected"; return SUCCESS;
        case INVALID_IMAGE: *text = "device kernel image is invalid"; return SUCCESS;
        case NOT_FOUND: *text = "named symbol not found"; return SUCCESS;
        default: *text = error_name(code); return *text == NULL ? INVALID_VALUE : SUCCESS;
    }
}

CUresult cuInit(unsigned int flags) {
    (void) flags;
#if defined(FAKE_NO_DEVICE)
    return NO_DEVICE;
#elif defined(FAKE_STUB)
    return STUB_LIBRARY;
#else
    initialised = 1;
    return SUCCESS;
#endif
}

CUresult cuDriverGetVersion(int* version) { *version = 13000; return SUCCESS; }
CUresult cuDeviceGetCount(int* count) { *count = initialised ? 1 : 0; return initialised ? SUCCESS : NOT_INITIALIZED; }

CUresult cuDeviceGet(int* device, int ordinal) {
    if (ordinal != 0) return INVALID_DEVICE;
    *device = 0;
    return SUCCESS;
}

CUresult cuDeviceGetName(char* name, int length, int device) {
    (void) device;
    snprintf(name, (size_t) length, "Fake GPU");
    return SUCCESS;
}

CUresult cuDeviceGetAttribute(int* value, int attribute, int device) {
    (void) device;
    switch (attribute) {
        case 16: *value = 132; return SUCCESS;  /* multiprocessors */
        case 75: *value = 9; return SUCCESS;    /* compute capability major */
        case 76: *value = 0; return SUCCESS;    /* minor */
        default: return INVALID_VALUE;
    }
}

CUresult cuDeviceTotalMem_v2(size_t* bytes, int device) { (void) device; *bytes = TOTAL_MEMORY; return SUCCESS; }

CUresult cuDevicePrimaryCtxRetain(void** context, int device) {
    (void) device;
    *context = &context_token;
    return SUCCESS;
}

CUresult cuDevicePrimaryCtxRelease_v2(int device) { (void) device; return SUCCESS; }
CUresult cuCtxSetCurrent(void* context) { return context == &context_token ? SUCCESS : INVALID_CONTEXT; }
CUresult cuCtxSynchronize(void) { return SUCCESS; }

/* Each allocation carries its size in front, so that frees can be accounted. */
CUresult cuMemAlloc_v2(CUdeviceptr* pointer, size_t bytes) {
    if (bytes == 0) return INVALID_VALUE;
    if (bytes > TOTAL_MEMORY - allocated) return OUT_OF_MEMORY;
    size_t* block = malloc(bytes + 16);
    if (block == NULL) return OUT_OF_MEMORY;
    block[0] = bytes;
    allocated += bytes;
    *pointer = (CUdeviceptr) (uintptr_t) ((char*) block + 16);
    return SUCCESS;
}

CUresult cuMemFree_v2(CUdeviceptr pointer) {
    if (pointer == 0) return INVALID_VALUE;
    size_t* block = (size_t*) ((char*) (uintptr_t) pointer - 16);
    allocated -= block[0];
    free(block);
    return SUCCESS;
}

CUresult cuMemcpyHtoD_v2(CUdeviceptr target, const void* source, size_t bytes) {
    memcpy((void*) (uintptr_t) target, source, bytes);
    return SUCCESS;
}

CUresult cuMemcpyDtoH_v2(void* target, CUdeviceptr source, size_t bytes) {
    memcpy(target, (const void*) (uintptr_t) source, bytes);
    return SUCCESS;
}

CUresult cuMemcpyDtoD_v2(CUdeviceptr target, CUdeviceptr source, size_t bytes) {
    memmove((void*) (uintptr_t) target, (const void*) (uintptr_t) source, bytes);
    return SUCCESS;
}

CUresult cuMemsetD32_v2(CUdeviceptr target, unsigned int value, size_t count) {
    unsigned int* words = (unsigned int*) (uintptr_t) target;
    for (size_t i = 0; i < count; i++) words[i] = value;
    return SUCCESS;
}

static int module_token;

CUresult cuModuleLoadData(void** module, const void* image) {
    const unsigned char* bytes = image;
    /* a fatbin starts with 0xBA55ED50 (little-endian), PTX text with "//" or ".version" */
    int fatbin = bytes[0] == 0x50 && bytes[1] == 0xED && bytes[2] == 0x55 && bytes[3] == 0xBA;
    if (!fatbin) return INVALID_IMAGE;
    *module = &module_token;
    return SUCCESS;
}

CUresult cuModuleUnload(void* module) { return module == &module_token ? SUCCESS : INVALID_HANDLE; }

/* A "function" starts with its name (so that it reads as one) and remembers its dynamic shared memory limit. */
typedef struct {
    char name[120];
    int max_dynamic_shared;
} Function;

CUresult cuModuleGetFunction(void** function, void* module, const char* name) {
    if (module != &module_token) return INVALID_HANDLE;
    if (strncmp(name, "carpathia_", 10) != 0 || strlen(name) >= sizeof ((Function*) 0)->name) return NOT_FOUND;
    Function* f = calloc(1, sizeof *f);
    strcpy(f->name, name);
    f->max_dynamic_shared = 48 * 1024;
    *function = f;
    return SUCCESS;
}

/* Only CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES (8), up to an H100's 227 KiB per block. */
CUresult cuFuncSetAttribute(void* function, int attribute, int value) {
    if (function == NULL || attribute != 8 || value < 0 || value > 227 * 1024) return INVALID_VALUE;
    ((Function*) function)->max_dynamic_shared = value;
    return SUCCESS;
}

static void log_path(char* path, size_t size) {
    Dl_info info;
    dladdr((void*) &cuInit, &info);
    snprintf(path, size, "%s", info.dli_fname);
    char* slash = strrchr(path, '/');
    snprintf(slash != NULL ? slash + 1 : path, size - (slash != NULL ? (size_t) (slash + 1 - path) : 0),
             "launches.log");
}

/* float32 rounded to TF32 as cvt.rna does: to nearest, ties away from zero; infinities and NaN unchanged */
static float tf32(float x) {
    uint32_t bits;
    memcpy(&bits, &x, 4);
    if ((bits & 0x7F800000u) != 0x7F800000u) bits = (bits + 0x1000u) & 0xFFFFE000u;
    memcpy(&x, &bits, 4);
    return x;
}

static float input(const void* base, long long index, int precision) {
    if (precision == 2) {  /* bfloat16: the high half of a float32 */
        uint32_t bits = (uint32_t) ((const uint16_t*) base)[index] << 16;
        float x;
        memcpy(&x, &bits, 4);
        return x;
    }
    float x = ((const float*) base)[index];
    return precision == 1 ? tf32(x) : x;
}

static int starts_with(const char* text, const char* prefix) { return strncmp(text, prefix, strlen(prefix)) == 0; }

/*
 * The matrix product kernels share one parameter list: (m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c,
 * ldc, strideC, batchCount). Their names give the precision (sgemm, tf32, bf16) and the form (_nn, _nt, _tn; the
 * warpgroup kernels are NT). Returns 0 for any other kernel.
 */
static int compute_gemm(const char* name, void** params) {
    if (!starts_with(name, "carpathia_sgemm_") && !starts_with(name, "carpathia_gemm_")
        && !(starts_with(name, "carpathia_wgmma_") && strcmp(name, "carpathia_wgmma_available") != 0)) {
        return 0;
    }
    int precision = strstr(name, "bf16") != NULL ? 2 : strstr(name, "tf32") != NULL ? 1 : 0;
    int transA = strstr(name, "_tn") != NULL;
    int transB = strstr(name, "_nt") != NULL;
    int m = *(int*) params[0], n = *(int*) params[1], k = *(int*) params[2];
    float alpha = *(float*) params[3];
    const void* a = *(void**) params[4];
    long long lda = *(long long*) params[5], strideA = *(long long*) params[6];
    const void* b = *(void**) params[7];
    long long ldb = *(long long*) params[8], strideB = *(long long*) params[9];
    float beta = *(float*) params[10];
    float* c = *(float**) params[11];
    long long ldc = *(long long*) params[12], strideC = *(long long*) params[13];
    int batches = *(int*) params[14];
    for (int batch = 0; batch < batches; batch++) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float sum = 0;
                for (int p = 0; p < k; p++) {
                    long long ia = batch * strideA + (transA ? p * lda + i : i * lda + p);
                    long long ib = batch * strideB + (transB ? j * ldb + p : p * ldb + j);
                    sum += input(a, ia, precision) * input(b, ib, precision);
                }
                float* out = c + batch * strideC + i * ldc + j;
                *out = alpha * sum + (beta == 0 ? 0 : beta * *out);
#ifdef FAKE_BROKEN
                if (starts_with(name, "carpathia_wgmma_") || starts_with(name, "carpathia_sgemm_nn")) *out += 1;
#endif
            }
        }
    }
#ifdef FAKE_BROKEN
    if (starts_with(name, "carpathia_sgemm_tn")) {
        c[(long long) (batches - 1) * strideC + (long long) (m - 1) * ldc + n] = 12345;
    }
#endif
    return 1;
}

static const float NF4_LEVELS[16] = {
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
    -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
    0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
    0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f};

/* Element e of an NF4 tensor: its level (element 2i in the high nibble) times its block's absmax, plain or
 * double-quantized as (codebook[code] * scale) + offset, each step a float32 operation as in bitsandbytes. */
static float nf4_value(void** params, long long e) {
    const uint8_t* packed = *(uint8_t**) params[0];
    const float* absmax = *(float**) params[1];
    const uint8_t* codes = *(uint8_t**) params[2];
    const float* codebook = *(float**) params[3];
    const float* scales = *(float**) params[4];
    float offset = *(float*) params[5];
    int log2_block = *(int*) params[6], log2_nested = *(int*) params[7];
    int byte = packed[e >> 1];
    int code = (e & 1) == 0 ? byte >> 4 : byte & 15;
#ifdef FAKE_BROKEN
    code = (e & 1) == 0 ? byte & 15 : byte >> 4;  /* the nibbles the wrong way round */
#endif
    long long block = e >> log2_block;
    float scale;
    if (codes == NULL) {
        scale = absmax[block];
    } else {
        volatile float scaled = codebook[codes[block]] * scales[block >> log2_nested];
        scale = scaled + offset;
    }
    volatile float value = NF4_LEVELS[code] * scale;
    return value;
}

/* float32 -> bfloat16 bits, to nearest even; a NaN stays a quiet NaN */
static uint16_t bf16(float x) {
    uint32_t bits;
    memcpy(&bits, &x, 4);
    if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t) ((bits >> 16) | 0x40);
    return (uint16_t) ((bits + 0x7FFFu + ((bits >> 16) & 1)) >> 16);
}

/* carpathia_nf4_dequantize_{f32,bf16}: (scales..., n, out, vectorised); carpathia_nf4_gemv: (scales..., rows, cols,
 * x, y, vectorised), y = W x accumulated in double. */
static void compute_nf4(const char* name, void** params) {
    if (strcmp(name, "carpathia_nf4_gemv") == 0) {
        int rows = *(int*) params[8], cols = *(int*) params[9];
        const float* x = *(float**) params[10];
        float* y = *(float**) params[11];
        for (int r = 0; r < rows; r++) {
            double sum = 0;
            for (int c = 0; c < cols; c++) sum += (double) nf4_value(params, (long long) r * cols + c) * x[c];
            y[r] = (float) sum;
        }
        return;
    }
    long long n = *(long long*) params[8];
    void* out = *(void**) params[9];
    for (long long e = 0; e < n; e++) {
        float value = nf4_value(params, e);
        if (strcmp(name, "carpathia_nf4_dequantize_bf16") == 0) {
            ((uint16_t*) out)[e] = bf16(value);
        } else {
            ((float*) out)[e] = value;
        }
    }
}

CUresult cuLaunchKernel(void* function, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx,
                        unsigned int by, unsigned int bz, unsigned int shared, void* stream, void** params,
                        void** extra) {
    (void) stream;
    (void) extra;
    if (gx == 0 || gy == 0 || gz == 0 || bx * by * bz > 1024 || params == NULL) return INVALID_VALUE;
    if ((int) shared > ((Function*) function)->max_dynamic_shared) return INVALID_VALUE;
    char path[4096];
    log_path(path, sizeof path);
    FILE* log = fopen(path, "a");
    if (log == NULL) return INVALID_VALUE;
    if (strcmp((const char*) function, "carpathia_wgmma_available") == 0) {
        /* the probe's one parameter is where it writes whether this "GPU" runs wgmma */
#ifdef FAKE_WGMMA
        **(int**) params[0] = 1;
#else
        **(int**) params[0] = 0;
#endif
        fprintf(log, "%s grid=%u,%u,%u block=%u,%u,%u shared=%u\n", (const char*) function, gx, gy, gz, bx, by, bz,
                shared);
        fclose(log);
        return SUCCESS;
    }
    fprintf(log, "%s grid=%u,%u,%u block=%u,%u,%u shared=%u first=%d,%d,%d\n", (const char*) function, gx, gy, gz,
            bx, by, bz, shared, *(int*) params[0], *(int*) params[1], *(int*) params[2]);
    fclose(log);
    if (!compute_gemm((const char*) function, params) && starts_with((const char*) function, "carpathia_nf4_")) {
        compute_nf4((const char*) function, params);
    }
    return SUCCESS;
}

static int event_token;

CUresult cuEventCreate(void** event, unsigned int flags) { (void) flags; *event = &event_token; return SUCCESS; }
CUresult cuEventRecord(void* event, void* stream) {
    (void) stream;
    return event == &event_token ? SUCCESS : INVALID_HANDLE;
}
CUresult cuEventSynchronize(void* event) { return event == &event_token ? SUCCESS : INVALID_HANDLE; }

CUresult cuEventElapsedTime(float* ms, void* start, void* end) {
    (void) start;
    (void) end;
    *ms = 1.5f;
    return SUCCESS;
}

CUresult cuEventDestroy_v2(void* event) { return event == &event_token ? SUCCESS : INVALID_HANDLE; }
