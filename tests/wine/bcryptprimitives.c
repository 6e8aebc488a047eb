/*
 * Test-only stand-in for Windows' bcryptprimitives.dll, which Wine 8 lacks.
 *
 * Rust's standard library on Windows draws its random bytes (HashMap seeds)
 * from bcryptprimitives!ProcessPrng. Wine 8 has no such DLL, so a Rust .exe
 * exits before main. This shim exports ProcessPrng and fills the buffer from
 * advapi32!SystemFunction036 (RtlGenRandom), which Wine does implement.
 *
 * Built with mingw by scripts/cross-build.sh for the Wine tests only; it is
 * never part of a release archive (real Windows has the real DLL).
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
