// Package data implements rakam's input pipeline: it turns an in-memory
// [mnist.Set] of uint8 images into float32 batches for training.
//
// Each epoch visits the examples in an order that depends only on (seed,
// epoch), so a run can be repeated exactly and a resumed run can start at
// batch b of epoch e with [Loader.EpochFrom]. Batches are prepared on worker
// goroutines ahead of the consumer (prefetch) into buffers that are reused,
// so a training step allocates nothing. Pixels are normalised by [Normalize]
// to [0, 1]. Optional augmentation ([Augment]: shift, rotation, scale and
// elastic distortion, bilinear resampling) draws each example's randomness
// from (seed, epoch, example index), so the number of workers and their
// timing never change the batches.
//
// A typical training loop:
//
//	loader, err := data.NewLoader(train, 64, data.Options{Shuffle: true, Seed: 1})
//	if err != nil { ... }
//	for epoch := 1; epoch <= epochs; epoch++ {
//		it := loader.Epoch(epoch)
//		for {
//			x, y, ok := it.Next() // x: len(y)*784 float32, valid until the next call
//			if !ok {
//				break
//			}
//			step(x, y)
//		}
//		it.Close()
//	}
package data
