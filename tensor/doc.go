// Package tensor implements dense float32 arrays and the numeric kernels the
// rest of rakam is built on: general matrix multiply in every transpose case,
// im2col/col2im for convolutions, bias and activation kernels (fused where a
// layer needs two in a row), row softmax, cross-entropy and reductions. It is
// rakam's NumPy.
//
// Matrices are row-major. The slice-level functions (Gemm, AddRowVector, ...)
// take explicit dimensions and leading strides the way BLAS does, so callers
// can work on views into larger buffers without copying; Tensor is a thin
// owner of a shape and a backing slice.
//
// Gemm is a packed, cache-blocked GEMM in the style of BLIS (Van Zee and van
// de Geijn, ACM TOMS 41(3), 2015) with AVX-512, AVX2+FMA and pure-Go
// micro-kernels chosen once from the CPU's features (only the Go one under
// the purego build tag), run on the persistent workers of internal/par
// with a thread budget per call (GemmThreads; Gemm takes the default,
// Threads()). Results do not depend on the thread count: see SetThreads.
//
// Shape mismatches are programmer errors and panic; tensor never touches
// files, users or the network.
package tensor
