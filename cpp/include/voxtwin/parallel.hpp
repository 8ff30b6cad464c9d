#pragma once
// Thread control for the CPU backend. One process-wide setting (not OpenMP's per-thread
// ICV) so that calls from any Python thread see it; every OpenMP kernel opens its
// parallel region with num_threads(voxtwin::get_num_threads()).

namespace voxtwin {

/// Number of threads the CPU kernels use (default: OpenMP's maximum at first use).
int get_num_threads();

/// Sets the number of threads the CPU kernels use; n >= 1, else std::invalid_argument.
void set_num_threads(int n);

}  // namespace voxtwin
