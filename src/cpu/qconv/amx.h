/* amx.h - permission to use AMX tiles (Linux).
 *
 * On Linux a process must ask for the AMX tile state before its first tile
 * instruction (arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)); without
 * it the instruction faults. er_amx_request() asks once per process (the
 * permission is process-wide) and says whether tiles may be used: false on
 * other systems, on CPUs without AMX-INT8, or when the kernel refuses (then
 * the AVX-512 VNNI kernels run instead). $EDGERUN_NO_AMX=1 also says false. */
#ifndef ER_CPU_QCONV_AMX_H
#define ER_CPU_QCONV_AMX_H

#include <stdbool.h>

bool er_amx_request(void);

#endif
