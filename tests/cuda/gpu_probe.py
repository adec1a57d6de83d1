"""Whether this machine can run CUDA artifacts: the driver loads and sees a device."""
import ctypes
import os


def gpu_available():
    """(True, name of device 0) or (False, why not), asked of the driver as the runtime asks."""
    path = os.environ.get("LLMOPT_CUDA_DRIVER") or "libcuda.so.1"
    try:
        cuda = ctypes.CDLL(path)
    except OSError as e:
        return False, f"no CUDA driver ({e})"
    if cuda.cuInit(0) != 0:
        return False, "cuInit failed (no device, or the driver is not usable)"
    count = ctypes.c_int(0)
    if cuda.cuDeviceGetCount(ctypes.byref(count)) != 0 or count.value == 0:
        return False, "no CUDA device"
    name = ctypes.create_string_buffer(256)
    cuda.cuDeviceGetName(name, 256, 0)
    return True, name.value.decode(errors="replace")
