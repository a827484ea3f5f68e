// Package optim implements the optimisers and learning-rate schedules rakam
// trains with: SGD (with momentum, Nesterov momentum and L2 weight decay),
// Adam (Kingma and Ba, "Adam: A Method for Stochastic Optimization", ICLR
// 2015, with bias correction folded into the step size as Keras does) and
// AdamW (Loshchilov and Hutter, "Decoupled Weight Decay Regularization",
// ICLR 2019), gradient clipping by global norm, and schedules: constant, step,
// exponential, cosine with linear warm-up, one-cycle (Smith and Topin, 2017)
// and reduce-on-plateau with Keras' defaults.
//
// The package does not know about layers: a parameter is a name and two
// float32 slices of equal length, the values and their gradient. The trainer
// builds the []Param once; optimisers allocate their state on the first Step
// and never again, so a training step allocates nothing.
//
// Optimiser state (moments, step count, learning rate, hyper-parameters)
// round-trips through State and SetState, so a checkpoint can resume
// training with bit-identical results; train stores the moments as named
// tensors of a safetensors checkpoint and the rest as JSON metadata.
package optim
