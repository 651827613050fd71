/* What the in-process DLL (dll.c) and its driver (inproc.c) share: the class and the names of
 * the schedule point's events. */
#ifndef HARNESS_INPROC_H
#define HARNESS_INPROC_H

#include <windows.h>

/* The DLL's class (HKLM\Software\Classes\CLSID\{...}\InprocServer32, ThreadingModel=Both). */
static const CLSID CLSID_HarnessDll = {
    0x6c0f3a4e, 0x1d2b, 0x4c5a, {0x9e, 0x7f, 0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x61}};
#define CLSID_HARNESS_DLL_STR "{6C0F3A4E-1D2B-4C5A-9E7F-0A1B2C3D4E61}"

/* The named events of the DLL's schedule point NAME for thread TID: the driver creates both
 * before the step; the DLL sets "reached" when it gets there and waits for "go". */
#define HARNESS_SP_GO "comlife-%s-go-%lu"
#define HARNESS_SP_REACHED "comlife-%s-reached-%lu"

#endif
