// Package nn implements neural-network layers, Sequential models, the
// softmax cross-entropy loss, weight initialisers and saved models.
//
// A model is described by a Spec — the per-example input shape and a list
// of layer kinds with their hyperparameters — and built from it with Build
// and a seed. Layers compute their forward and backward passes over
// tensor's GEMM and own their buffers, so a training step allocates nothing
// once the first batch of a given size has gone through. Each layer kind
// registers itself in its own file (its spec check, output shape, builder,
// scratch memory and label; see registry.go), so Validate, Build and
// ValuesPerExample name no kind, and Kinds lists what is registered.
//
// Saved models are safetensors files
// (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header giving each tensor's dtype ("F32"), shape and
// byte offsets plus a "__metadata__" map of strings, then the raw
// little-endian data. The Spec travels in the metadata under "rakam.spec", so
// a file rebuilds its own model; any safetensors reader can open it.
// EncodeTensors and DecodeTensors write and read any named float32 tensors
// with string metadata in the same format and with the same checks; train
// keeps its checkpoints in it.
package nn
