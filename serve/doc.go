// Package serve implements rakam's HTTP service: a JSON prediction API over
// a trained model, a drawing page embedded in the binary, a health check and
// Prometheus metrics.
//
// Endpoints:
//
//	GET  /            the drawing page (no external assets; works offline)
//	POST /v1/predict  an image (raw body image/* or multipart/form-data) or
//	                  JSON {"pixels": [784 numbers in 0..1]}; answers
//	                  {"label": 7, "probabilities": [10 numbers]} and, with
//	                  ?pixels=1, the 784 preprocessed pixels the model saw
//	GET  /healthz     {"status": "ok"}
//	GET  /metrics     Prometheus text format
//
// Every failure is a JSON object {"error": "..."} with a 4xx status naming
// what was wrong with the request (413 too large, 415 wrong content type or
// not an image, 422 a blank image, 429 too much work queued, 400 anything
// else malformed); 5xx means a bug in rakam.
//
// Models are not safe for concurrent use, so predictions go through a queue
// drained by one worker per model replica. A worker takes every request
// waiting in the queue (up to Config.MaxBatch) and runs them as one batch:
// under load, batches grow and the per-prediction cost falls, without adding
// latency when the server is idle. When the queue is full, requests are
// refused with 429 rather than piling up.
package serve
