package nn

// ActivationBudget is the default bound, in float32 values (128 MiB), on
// what a model's layer buffers may hold during one inference batch: a valid
// but very wide model gets smaller batches instead of exhausting memory.
// Zoo models stay far below it at batch 1000 (the cnn needs about 100 KB
// per example).
const ActivationBudget = 1 << 25

// ValuesPerExample estimates the float32 values the layers hold for one
// example: every layer's output, plus the unfolded input (im2col) and the
// per-chunk output buffer of each convolution.
func (m *Sequential) ValuesPerExample() int {
	shapes := m.Shapes()
	n := 0
	for i, sh := range shapes {
		n += prod(sh)
		if i < len(m.Spec.Layers) && m.Spec.Layers[i].Kind == "Conv2D" && i+1 < len(shapes) && len(sh) == 3 && len(shapes[i+1]) == 3 {
			k := max(m.Spec.Layers[i].Kernel, 1)
			out := shapes[i+1]
			n += k*k*sh[0]*out[1]*out[2] + prod(out)
		}
	}
	return max(n, 1)
}

// MaxBatch returns the largest batch size, at most want and at least 1,
// whose layer buffers stay within budget float32 values.
func (m *Sequential) MaxBatch(want, budget int) int {
	return max(1, min(want, budget/m.ValuesPerExample()))
}
