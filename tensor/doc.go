// Package tensor implements dense float32 arrays and the numeric kernels the
// rest of rakam is built on: general matrix multiply in every transpose case,
// bias and activation kernels, row softmax, cross-entropy and reductions. It is
// rakam's NumPy.
//
// Matrices are row-major. The slice-level functions (Gemm, AddRowVector, ...)
// take explicit dimensions and leading strides the way BLAS does, so callers
// can work on views into larger buffers without copying; Tensor is a thin
// owner of a shape and a backing slice.
//
// Shape mismatches are programmer errors and panic; tensor never touches
// files, users or the network.
package tensor
