//go:build (!amd64 && !arm64) || purego

package gemm

// builtKernels lists every micro-kernel of this build: the portable one.
var builtKernels = []*kernel{&goKernel}
