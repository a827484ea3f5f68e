//go:build amd64 && !purego

package vec

import "golang.org/x/sys/cpu"

// useAVX2 selects the assembly kernels; tests switch it off to cover the Go
// path on this machine.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA
