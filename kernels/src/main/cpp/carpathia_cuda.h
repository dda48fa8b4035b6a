// The native half of io.carpathia.kernels.CudaDriver: the few CUDA driver API calls the kernels need, reached through
// dlopen("libcuda.so.1") at run time. There is no link-time CUDA dependency and no cuda.h: the typedefs below are the
// driver API's own (CUresult is an int, handles are opaque pointers, device pointers are 64-bit), so this builds with
// nothing but a C++ compiler and runs on machines without a GPU, where opening simply reports why it failed.
//
// Every function returns the CUresult of the driver call (0 = CUDA_SUCCESS) and the Java side turns anything else
// into a CudaException carrying the error's name (cuGetErrorName). Results come back through one-element arrays.
// A Driver is one opened library plus the primary context of one device; every call makes that context current on
// the calling thread first (contexts are per thread in the driver API, Java threads are not).
#pragma once

#include <dlfcn.h>
#include <jni.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

namespace carpathia_cuda {

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef struct CUctx_st* CUcontext;
typedef struct CUmod_st* CUmodule;
typedef struct CUfunc_st* CUfunction;
typedef struct CUevent_st* CUevent;
typedef struct CUstream_st* CUstream;

const CUresult CUDA_SUCCESS = 0;
const int NOT_LOADED = -1;  // the library or one of its symbols could not be loaded: there is no CUresult

struct Driver {
    void* library;
    int status;          // CUDA_SUCCESS once the device's primary context is ready
    char message[1024];  // why opening failed: the dlerror text or the failing call with its error name
    char name[256];      // the device's name once opened
    CUdevice device;
    CUcontext context;

    CUresult (*cuInit)(unsigned int);
    CUresult (*cuDriverGetVersion)(int*);
    CUresult (*cuGetErrorName)(CUresult, const char**);
    CUresult (*cuGetErrorString)(CUresult, const char**);
    CUresult (*cuDeviceGetCount)(int*);
    CUresult (*cuDeviceGet)(CUdevice*, int);
    CUresult (*cuDeviceGetName)(char*, int, CUdevice);
    CUresult (*cuDeviceGetAttribute)(int*, int, CUdevice);
    CUresult (*cuDeviceTotalMem_v2)(size_t*, CUdevice);
    CUresult (*cuDevicePrimaryCtxRetain)(CUcontext*, CUdevice);
    CUresult (*cuDevicePrimaryCtxRelease_v2)(CUdevice);
    CUresult (*cuCtxSetCurrent)(CUcontext);
    CUresult (*cuCtxSynchronize)(void);
    CUresult (*cuMemAlloc_v2)(CUdeviceptr*, size_t);
    CUresult (*cuMemFree_v2)(CUdeviceptr);
    CUresult (*cuMemcpyHtoD_v2)(CUdeviceptr, const void*, size_t);
    CUresult (*cuMemcpyDtoH_v2)(void*, CUdeviceptr, size_t);
    CUresult (*cuMemcpyDtoD_v2)(CUdeviceptr, CUdeviceptr, size_t);
    CUresult (*cuMemsetD32_v2)(CUdeviceptr, unsigned int, size_t);
    CUresult (*cuModuleLoadData)(CUmodule*, const void*);
    CUresult (*cuModuleUnload)(CUmodule);
    CUresult (*cuModuleGetFunction)(CUfunction*, CUmodule, const char*);
    CUresult (*cuFuncSetAttribute)(CUfunction, int, int);
    CUresult (*cuLaunchKernel)(CUfunction, unsigned int, unsigned int, unsigned int, unsigned int, unsigned int,
                               unsigned int, unsigned int, CUstream, void**, void**);
    CUresult (*cuEventCreate)(CUevent*, unsigned int);
    CUresult (*cuEventRecord)(CUevent, CUstream);
    CUresult (*cuEventSynchronize)(CUevent);
    CUresult (*cuEventElapsedTime)(float*, CUevent, CUevent);
    CUresult (*cuEventDestroy_v2)(CUevent);
};

inline Driver* driver(jlong handle) { return reinterpret_cast<Driver*>(static_cast<intptr_t>(handle)); }

template <typename F>
inline bool resolve(Driver* d, F& function, const char* name) {
    function = reinterpret_cast<F>(dlsym(d->library, name));
    if (function == NULL) {
        snprintf(d->message, sizeof d->message, "the driver library has no symbol %s: the NVIDIA driver is too old",
                 name);
        return false;
    }
    return true;
}

inline bool resolve_all(Driver* d) {
    return resolve(d, d->cuInit, "cuInit") && resolve(d, d->cuDriverGetVersion, "cuDriverGetVersion") &&
           resolve(d, d->cuGetErrorName, "cuGetErrorName") && resolve(d, d->cuGetErrorString, "cuGetErrorString") &&
           resolve(d, d->cuDeviceGetCount, "cuDeviceGetCount") && resolve(d, d->cuDeviceGet, "cuDeviceGet") &&
           resolve(d, d->cuDeviceGetName, "cuDeviceGetName") &&
           resolve(d, d->cuDeviceGetAttribute, "cuDeviceGetAttribute") &&
           resolve(d, d->cuDeviceTotalMem_v2, "cuDeviceTotalMem_v2") &&
           resolve(d, d->cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain") &&
           resolve(d, d->cuDevicePrimaryCtxRelease_v2, "cuDevicePrimaryCtxRelease_v2") &&
           resolve(d, d->cuCtxSetCurrent, "cuCtxSetCurrent") && resolve(d, d->cuCtxSynchronize, "cuCtxSynchronize") &&
           resolve(d, d->cuMemAlloc_v2, "cuMemAlloc_v2") && resolve(d, d->cuMemFree_v2, "cuMemFree_v2") &&
           resolve(d, d->cuMemcpyHtoD_v2, "cuMemcpyHtoD_v2") && resolve(d, d->cuMemcpyDtoH_v2, "cuMemcpyDtoH_v2") &&
           resolve(d, d->cuMemcpyDtoD_v2, "cuMemcpyDtoD_v2") && resolve(d, d->cuMemsetD32_v2, "cuMemsetD32_v2") &&
           resolve(d, d->cuModuleLoadData, "cuModuleLoadData") && resolve(d, d->cuModuleUnload, "cuModuleUnload") &&
           resolve(d, d->cuModuleGetFunction, "cuModuleGetFunction") &&
           resolve(d, d->cuFuncSetAttribute, "cuFuncSetAttribute") &&
           resolve(d, d->cuLaunchKernel, "cuLaunchKernel") && resolve(d, d->cuEventCreate, "cuEventCreate") &&
           resolve(d, d->cuEventRecord, "cuEventRecord") && resolve(d, d->cuEventSynchronize, "cuEventSynchronize") &&
           resolve(d, d->cuEventElapsedTime, "cuEventElapsedTime") &&
           resolve(d, d->cuEventDestroy_v2, "cuEventDestroy_v2");
}

// Records a failed call in the driver's message ("cuInit: CUDA_ERROR_NO_DEVICE (no CUDA-capable device is
// detected)") and returns its code.
inline CUresult fail(Driver* d, const char* call, CUresult code) {
    const char* name = NULL;
    const char* text = NULL;
    if (d->cuGetErrorName == NULL || d->cuGetErrorName(code, &name) != CUDA_SUCCESS || name == NULL) name = "?";
    if (d->cuGetErrorString == NULL || d->cuGetErrorString(code, &text) != CUDA_SUCCESS || text == NULL) text = "?";
    snprintf(d->message, sizeof d->message, "%s: %s (%s)", call, name, text);
    return code;
}

inline CUresult make_current(Driver* d) { return d->cuCtxSetCurrent(d->context); }

}  // namespace carpathia_cuda

// ---- functions bound by io.carpathia.kernels.CudaDriver ------------------------------------------------------------

// Opens the driver library (a file name such as "libcuda.so.1" or a path), initialises it and retains the primary
// context of device `ordinal`. Always returns a handle: carpathia_status tells whether it worked and
// carpathia_message why not; carpathia_close frees it either way.
inline jlong carpathia_open(const char* library, int ordinal) {
    using namespace carpathia_cuda;
    Driver* d = new Driver();
    memset(d, 0, sizeof *d);
    d->status = NOT_LOADED;
    d->library = dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (d->library == NULL) {
        const char* reason = dlerror();
        snprintf(d->message, sizeof d->message, "%s", reason != NULL ? reason : "dlopen failed");
        return static_cast<jlong>(reinterpret_cast<intptr_t>(d));
    }
    if (!resolve_all(d)) return static_cast<jlong>(reinterpret_cast<intptr_t>(d));
    CUresult r = d->cuInit(0);
    if (r != CUDA_SUCCESS) {
        d->status = fail(d, "cuInit", r);
        return static_cast<jlong>(reinterpret_cast<intptr_t>(d));
    }
    int count = 0;
    r = d->cuDeviceGetCount(&count);
    if (r != CUDA_SUCCESS) {
        d->status = fail(d, "cuDeviceGetCount", r);
    } else if (ordinal < 0 || ordinal >= count) {
        d->status = 101;  // CUDA_ERROR_INVALID_DEVICE
        snprintf(d->message, sizeof d->message, "cuDeviceGet: device %d requested, %d device(s) present", ordinal,
                 count);
    } else if ((r = d->cuDeviceGet(&d->device, ordinal)) != CUDA_SUCCESS) {
        d->status = fail(d, "cuDeviceGet", r);
    } else if ((r = d->cuDevicePrimaryCtxRetain(&d->context, d->device)) != CUDA_SUCCESS) {
        d->status = fail(d, "cuDevicePrimaryCtxRetain", r);
    } else if ((r = d->cuCtxSetCurrent(d->context)) != CUDA_SUCCESS) {
        d->status = fail(d, "cuCtxSetCurrent", r);
    } else if ((r = d->cuDeviceGetName(d->name, sizeof d->name, d->device)) != CUDA_SUCCESS) {
        d->status = fail(d, "cuDeviceGetName", r);
    } else {
        d->status = CUDA_SUCCESS;
    }
    return static_cast<jlong>(reinterpret_cast<intptr_t>(d));
}

inline int carpathia_status(jlong handle) { return carpathia_cuda::driver(handle)->status; }

inline const char* carpathia_message(jlong handle) { return carpathia_cuda::driver(handle)->message; }

inline const char* carpathia_device_name(jlong handle) { return carpathia_cuda::driver(handle)->name; }

// Releases the primary context (when it was retained) and frees the handle. The library stays loaded: unloading
// libcuda while the process lives is not safe.
inline void carpathia_close(jlong handle) {
    using namespace carpathia_cuda;
    Driver* d = driver(handle);
    if (d->context != NULL && d->cuDevicePrimaryCtxRelease_v2 != NULL) d->cuDevicePrimaryCtxRelease_v2(d->device);
    delete d;
}

inline const char* carpathia_error_name(jlong handle, int code) {
    const char* name = NULL;
    carpathia_cuda::Driver* d = carpathia_cuda::driver(handle);
    if (d->cuGetErrorName == NULL || d->cuGetErrorName(code, &name) != 0 || name == NULL) return "";
    return name;
}

inline const char* carpathia_error_string(jlong handle, int code) {
    const char* text = NULL;
    carpathia_cuda::Driver* d = carpathia_cuda::driver(handle);
    if (d->cuGetErrorString == NULL || d->cuGetErrorString(code, &text) != 0 || text == NULL) return "";
    return text;
}

inline int carpathia_driver_version(jlong handle, int* version) {
    return carpathia_cuda::driver(handle)->cuDriverGetVersion(version);
}

inline int carpathia_device_attribute(jlong handle, int attribute, int* value) {
    carpathia_cuda::Driver* d = carpathia_cuda::driver(handle);
    return d->cuDeviceGetAttribute(value, attribute, d->device);
}

inline int carpathia_device_total_memory(jlong handle, jlong* bytes) {
    carpathia_cuda::Driver* d = carpathia_cuda::driver(handle);
    size_t total = 0;
    int r = d->cuDeviceTotalMem_v2(&total, d->device);
    *bytes = static_cast<jlong>(total);
    return r;
}

inline int carpathia_synchronize(jlong handle) {
    carpathia_cuda::Driver* d = carpathia_cuda::driver(handle);
    int r = carpathia_cuda::make_current(d);
    return r != 0 ? r : d->cuCtxSynchronize();
}

inline int carpathia_mem_alloc(jlong handle, jlong bytes, jlong* address) {
    carpathia_cuda::Driver* d = carpathia_cuda::driver(handle);
    int r = carpathia_cuda::make_current(d);
    if (r != 0) return r;
    carpathia_cuda::CUdeviceptr pointer = 0;
    r = d->cuMemAlloc_v2(&pointer, static_cast<size_t>(bytes));
    *address = static_cast<jlong>(pointer);
    return r;
}

inline int carpathia_mem_free(jlong handle, jlong address) {
    carpathia_cuda::Driver* d = carpathia_cuda::driver(handle);
    int r = carpathia_cuda::make_current(d);
    return r != 0 ? r : d->cuMemFree_v2(static_cast<carpathia_cuda::CUdeviceptr>(address));
}

inline int carpathia_memcpy_htod(jlong handle, jlong device, jlong host, jlong bytes) {
    carpathia_cuda::Driver* d = carpathia_cuda::driver(handle);
    int r = carpathia_cuda::make_current(d);
    return r != 0 ? r
                  : d->cuMemcpyHtoD_v2(static_cast<carpathia_cuda::CUdeviceptr>(device),
                                       reinterpret_cast<const void*>(static_cast<intptr_t>(host)),
                                       static_cast<size_t>(bytes));
}

inline int carpathia_memcpy_dtoh(jlong handle, jlong host, jlong device, jlong bytes) {
    carpathia_cuda::Driver* d = carpathia_cuda::driver(handle);
    int r = carpathia_cuda::make_current(d);
    return r != 0 ? r
                  : d->cuMemcpyDtoH_v2(reinterpret_cast<void*>(static_cast<intptr_t>(host)),
                                       static_cast<carpathia_cuda::CUdeviceptr>(device), static_cast<size_t>(bytes));
}

inline int carpathia_memcpy_dtod(jlong handle, jlong target, jlong source, jlong bytes) {
    carpathia_cuda::Driver* d = carpathia_cuda::driver(handle);
    int r = carpathia_cuda::make_current(d);
    return r != 0 ? r
                  : d->cuMemcpyDtoD_v2(static_cast<carpathia_cuda::CUdeviceptr>(target),
                                       static_cast<carpathia_cuda::CUdeviceptr>(source), static_cast<size_t>(bytes));
}

inline int carpathia_memset_d32(jlong handle, jlong device, int value, jlong count) {
    carpathia_cuda::Driver* d = carpathia_cuda::driver(handle);
    int r = carpathia_cuda::make_current(d);
    return r != 0 ? r
                  : d->cuMemsetD32_v2(static_cast<carpathia_cuda::CUdeviceptr>(device),
                                      static_cast<unsigned int>(value), static_cast<size_t>(count));
}

// image: host address of a fatbin, cubin or NUL-terminated PTX text.
inline int carpathia_module_load(jlong handle, jlong image, jlong* module) {
    carpathia_cuda::Driver* d = carpathia_cuda::driver(handle);
    int r = carpathia_cuda::make_current(d);
    if (r != 0) return r;
    carpathia_cuda::CUmodule loaded = NULL;
    r = d->cuModuleLoadData(&loaded, reinterpret_cast<const void*>(static_cast<intptr_t>(image)));
    *module = static_cast<jlong>(reinterpret_cast<intptr_t>(loaded));
    return r;
}

inline int carpathia_module_unload(jlong handle, jlong module) {
    carpathia_cuda::Driver* d = carpathia_cuda::driver(handle);
    int r = carpathia_cuda::make_current(d);
    return r != 0 ? r
                  : d->cuModuleUnload(reinterpret_cast<carpathia_cuda::CUmodule>(static_cast<intptr_t>(module)));
}

inline int carpathia_module_function(jlong handle, jlong module, const char* name, jlong* function) {
    carpathia_cuda::Driver* d = carpathia_cuda::driver(handle);
    int r = carpathia_cuda::make_current(d);
    if (r != 0) return r;
    carpathia_cuda::CUfunction found = NULL;
    r = d->cuModuleGetFunction(&found, reinterpret_cast<carpathia_cuda::CUmodule>(static_cast<intptr_t>(module)),
                               name);
    *function = static_cast<jlong>(reinterpret_cast<intptr_t>(found));
    return r;
}

// cuFuncSetAttribute, e.g. CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES (8), which a kernel needs before it may be
// launched with more than 48 KiB of dynamic shared memory.
inline int carpathia_function_set_attribute(jlong handle, jlong function, int attribute, int value) {
    carpathia_cuda::Driver* d = carpathia_cuda::driver(handle);
    int r = carpathia_cuda::make_current(d);
    return r != 0 ? r
                  : d->cuFuncSetAttribute(reinterpret_cast<carpathia_cuda::CUfunction>(static_cast<intptr_t>(function)),
                                          attribute, value);
}

// arguments: one 64-bit slot per kernel parameter holding its value (4-byte parameters in the low half, which is
// where a pointer to the slot finds them on a little-endian machine). The driver copies the values during the call.
inline int carpathia_launch(jlong handle, jlong function, int gridX, int gridY, int gridZ, int blockX, int blockY,
                            int blockZ, int sharedBytes, jlong* arguments, int argumentCount) {
    carpathia_cuda::Driver* d = carpathia_cuda::driver(handle);
    int r = carpathia_cuda::make_current(d);
    if (r != 0) return r;
    if (argumentCount < 0 || argumentCount > 64) return 1;  // CUDA_ERROR_INVALID_VALUE
    void* pointers[64];
    for (int i = 0; i < argumentCount; ++i) pointers[i] = &arguments[i];
    return d->cuLaunchKernel(reinterpret_cast<carpathia_cuda::CUfunction>(static_cast<intptr_t>(function)),
                             static_cast<unsigned int>(gridX), static_cast<unsigned int>(gridY),
                             static_cast<unsigned int>(gridZ), static_cast<unsigned int>(blockX),
                             static_cast<unsigned int>(blockY), static_cast<unsigned int>(blockZ),
                             static_cast<unsigned int>(sharedBytes), NULL, pointers, NULL);
}

inline int carpathia_event_create(jlong handle, jlong* event) {
    carpathia_cuda::Driver* d = carpathia_cuda::driver(handle);
    int r = carpathia_cuda::make_current(d);
    if (r != 0) return r;
    carpathia_cuda::CUevent created = NULL;
    r = d->cuEventCreate(&created, 0);
    *event = static_cast<jlong>(reinterpret_cast<intptr_t>(created));
    return r;
}

inline int carpathia_event_record(jlong handle, jlong event) {
    carpathia_cuda::Driver* d = carpathia_cuda::driver(handle);
    int r = carpathia_cuda::make_current(d);
    return r != 0 ? r : d->cuEventRecord(reinterpret_cast<carpathia_cuda::CUevent>(static_cast<intptr_t>(event)), NULL);
}

inline int carpathia_event_synchronize(jlong handle, jlong event) {
    carpathia_cuda::Driver* d = carpathia_cuda::driver(handle);
    int r = carpathia_cuda::make_current(d);
    return r != 0 ? r : d->cuEventSynchronize(reinterpret_cast<carpathia_cuda::CUevent>(static_cast<intptr_t>(event)));
}

inline int carpathia_event_elapsed(jlong handle, jlong start, jlong end, float* milliseconds) {
    carpathia_cuda::Driver* d = carpathia_cuda::driver(handle);
    int r = carpathia_cuda::make_current(d);
    return r != 0 ? r
                  : d->cuEventElapsedTime(milliseconds,
                                          reinterpret_cast<carpathia_cuda::CUevent>(static_cast<intptr_t>(start)),
                                          reinterpret_cast<carpathia_cuda::CUevent>(static_cast<intptr_t>(end)));
}

inline int carpathia_event_destroy(jlong handle, jlong event) {
    carpathia_cuda::Driver* d = carpathia_cuda::driver(handle);
    int r = carpathia_cuda::make_current(d);
    return r != 0 ? r : d->cuEventDestroy_v2(reinterpret_cast<carpathia_cuda::CUevent>(static_cast<intptr_t>(event)));
}
