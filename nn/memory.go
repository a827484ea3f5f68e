package nn

// ActivationBudget is the default bound, in float32 values (128 MiB), on
// what a model's layer buffers may hold during one inference batch: a valid
// but very wide model gets smaller batches instead of exhausting memory.
// Zoo models stay far below it at batch 1000 (the cnn needs about 100 KB
// per example).
const ActivationBudget = 1 << 25

// ValuesPerExample estimates the float32 values the layers hold for one
// example: the input and every layer's output, plus the scratch buffers a
// kind registers (a convolution's unfolded input, im2col, and per-chunk
// output buffer).
func (m *Sequential) ValuesPerExample() int {
	shapes := m.Shapes()
	n := 0
	for i, sh := range shapes {
		n += prod(sh)
		if i >= len(m.Spec.Layers) || i+1 >= len(shapes) {
			continue
		}
		l := m.Spec.Layers[i]
		if k := lookupLayer(l.Kind); k != nil && k.scratch != nil {
			n += k.scratch(l, sh, shapes[i+1])
		}
	}
	return max(n, 1)
}

// MaxBatch returns the largest batch size, at most want and at least 1,
// whose layer buffers stay within budget float32 values.
func (m *Sequential) MaxBatch(want, budget int) int {
	return max(1, min(want, budget/m.ValuesPerExample()))
}
