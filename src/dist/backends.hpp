// Which c10d process groups this build of ladder can create. PyTorch's wheels build Gloo
// into LibTorch but ship none of Gloo's headers, which ProcessGroupGloo.hpp includes: built
// against such a LibTorch, ladder trains data-parallel on CUDA with NCCL only.
#pragma once

#if defined(USE_C10D_GLOO) && __has_include(<gloo/algorithm.h>)
#define LADDER_GLOO 1
#endif
