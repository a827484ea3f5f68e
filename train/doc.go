// Package train implements the training loop: Fit runs epochs of
// mini-batch gradient descent over a data.Loader with validation after each
// epoch, callbacks in the manner of Keras (EarlyStopping, ModelCheckpoint,
// LR schedules, ReduceLROnPlateau), a progress line, JSON-lines events, a
// divergence guard and checkpoints from which a run resumes with
// bit-identical results. Evaluate and Predict run a trained model over a
// set.
//
// A checkpoint is a safetensors file (nn's format): the model's tensors,
// the optimiser's moments as "optim.<parameter>.<slot>" tensors, and the
// run's state, checksummed, in its metadata.
//
// A training step allocates nothing after the first batch: the model's
// layers own their buffers, the optimiser's state is allocated on its first
// step, and the loop keeps its own small buffers.
package train
