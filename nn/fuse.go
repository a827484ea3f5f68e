package nn

// Fused passes: a ReLU next to a MaxPool2D (before or after it) runs inside
// the pool, and the Sequential skips it.
//
// Max-pooling commutes with ReLU: both orders give max(0, max of the
// window), bit for bit, for every input without NaN (ReLU maps −0 to +0,
// and a window of non-positive values pools to a non-positive value that
// ReLU maps to +0 either way). The gradient is the same too: the window's
// maximum receives dy where the output is positive and 0 elsewhere, in both
// orders. So the pool takes the maximum of the unrectified window, rectifies
// its output (a quarter of the values, for a 2×2 window) and masks dy in
// its backward pass: the ReLU's two passes over the full-size map are gone.
// With NaN inputs the two orders can differ (a window whose first value is
// a NaN with the sign bit set pools to 0 fused, to the window's largest
// other value unfused); either way the NaN does not pass a ReLU.
//
// Fusing the pool into a BatchNorm before it as well (normalising and
// pooling one plane at a time, rebuilding each plane's gradient from the
// pooled one) was tried and measured: 2 % slower on the zoo cnn, batch 64,
// Zen 5 (the maps fit in the 32 MiB L3, so the passes it saved were cheap,
// and rebuilding gradient planes twice cost more). Its forward half alone
// (the batch norm writing no output, the pool normalising each plane into
// an L1 buffer and pooling it from there) was measured on Zen 3
// (BenchmarkStepLayers, 2026-12-07, three runs): on the 16×28×28 maps the
// two forward passes took 90 µs less on one thread and about the same on
// two (the normalisation costs nearly as much inside the pool as in its
// own pass: the maps are in L3); on the 32×14×14 maps pooling one 7-window
// plane per call took 6× as long. Not kept.
//
// A Conv2D followed by a BatchNorm over its channels exchange the
// convolution's channel-major product buffer yc (OutC, N·OH·OW) in a
// training step whose batch the convolution multiplies in one chunk: the
// convolution leaves its product there, adds its bias to each (example,
// channel) plane in place (what its scatter to NCHW would have added) and
// sums the plane for the batch norm while the partition's products are
// still in cache; the batch norm reads the planes from there, and its
// backward pass writes its input gradient there, where the convolution's
// products read it. The copy of the output to NCHW and of the
// gradient back (a full-map pass each way) are gone. Every value takes the
// same operations in the same order, and the batch norm's per-plane sums
// are added per channel in example order as before: the same bits.
// Evaluation, and batches of several chunks, run the two layers apart.
//
// Layers, Spec, saved files and the ONNX export keep the ReLU: fusion is
// how a Sequential runs them, not what it holds.

// fuse sets m.folded: the layers whose work another layer does.
func (m *Sequential) fuse() {
	m.folded = make([]bool, len(m.Layers))
	for i := 0; i+1 < len(m.Layers); i++ {
		a, b := m.Layers[i], m.Layers[i+1]
		if c, ok := a.(*Conv2D); ok {
			if bn, ok := b.(*BatchNorm); ok && bn.Spatial > 1 && bn.conv == nil {
				c.bn, bn.conv = bn, c
			}
			continue
		}
		if r, ok := a.(*ReLU); ok && r != nil {
			if p, ok := b.(*MaxPool2D); ok && !p.relu {
				p.relu, m.folded[i] = true, true
				i++
			}
			continue
		}
		if p, ok := a.(*MaxPool2D); ok && !p.relu {
			if _, ok := b.(*ReLU); ok {
				p.relu, m.folded[i+1] = true, true
				i++
			}
		}
	}
}

// unfuse undoes fuse, for tests that compare both ways of running a model.
func (m *Sequential) unfuse() {
	for _, l := range m.Layers {
		switch l := l.(type) {
		case *MaxPool2D:
			l.relu = false
		case *Conv2D:
			l.bn = nil
		case *BatchNorm:
			l.conv = nil
		}
	}
	m.folded = nil
}

// isFolded reports whether layer i is run by a neighbour.
func (m *Sequential) isFolded(i int) bool { return i < len(m.folded) && m.folded[i] }
