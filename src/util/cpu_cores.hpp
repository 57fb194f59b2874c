// How many CPU cores this process may run on.
#pragma once

namespace ladder {

// The cores of this process's affinity mask (what taskset, cgroups or SLURM allow it), at
// least 1.
int available_cores();

}  // namespace ladder
