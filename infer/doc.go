// Package infer implements rakam's one inference path: a trained model
// that maps 28x28 pixels to the ten digit classes, run in inference mode in
// batches that keep its layers' buffers within one memory bound
// (nn.ActivationBudget), with softmax probabilities and argmax labels.
// Evaluation (train.Evaluate), the HTTP server (serve), rakam predict and
// the voting ensembles all predict through it.
//
// Two levels:
//
//   - Model is the Go API: load a model file once (Load), then predict
//     from image bytes (PNG, JPEG, GIF, BMP, TIFF or WebP, prepared the
//     MNIST way by imageprep, as rakam predict does), from an image.Image,
//     or from 784 pixels in 0..1, from any number of goroutines at once.
//     It keeps a pool of replicas of the model (nn.Sequential.Replica:
//     shared weights, own buffers), each with its own thread budget, and
//     at most Options.Concurrency predictions run at once; other callers
//     wait for a free replica.
//   - Runner runs one nn.Sequential and is not safe for concurrent use:
//     the building block for callers that keep their own workers (serve's
//     batching workers, evaluation).
//
// A prediction's probabilities do not depend on the batch it ran in, the
// replica or the thread budget: each image's arithmetic is its own, so the
// same pixels give the same bits through every path (see
// train.TestEvalBatchSameBits).
package infer
