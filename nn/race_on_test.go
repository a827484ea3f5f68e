//go:build race

package nn

// raceEnabled: the race detector is on. sync.Pool then drops items at
// random (by design), so a warm step that takes a GEMM scratch from the
// pool can allocate, and allocation counts say nothing.
const raceEnabled = true
