// Intentionally empty: CEigen exists to put Eigen's include directory (from pkg-config eigen3)
// on the compiler's search path for _PCKernels. Eigen itself is C++ and is never seen by Swift.
