// Package serve implements rakam's HTTP service: a JSON prediction API over
// a trained model, the Open Inference Protocol (KServe's "Predict Protocol -
// Version 2", required_api.md) over HTTP/REST, a drawing page embedded in
// the binary, liveness and readiness checks and Prometheus metrics.
//
// Endpoints:
//
//	GET  /            the drawing page (no external assets; works offline)
//	POST /v1/predict  an image (raw body image/* or multipart/form-data) or
//	                  JSON {"pixels": [784 numbers in 0..1]}; answers
//	                  {"label": 7, "probabilities": [10 numbers],
//	                  "not_digit": false, "unsure": false} and, with
//	                  ?pixels=1, the 784 preprocessed pixels the model saw;
//	                  a blank image is answered {"label": -1,
//	                  "not_digit": true, "unsure": false}. With ?number=1
//	                  (images only) the image is read as a number:
//	                  {"number": "2024", "digits": [{"box": [x0, y0, x1,
//	                  y1], "label", "probabilities", "not_digit",
//	                  "unsure"}, ...], "not_digit", "unsure", "reasons"}
//	GET  /healthz     {"status": "ok", "model": NAME}
//	GET  /livez       200 {"status": "ok"} while the process answers
//	GET  /readyz      200 while taking requests; 503 from the moment Serve's
//	                  context ends (draining) or after Close
//	GET  /metrics     Prometheus text format
//
// The Open Inference Protocol endpoints, for the one model, named
// Config.ModelName (rakam serve: the model file's rakam.name metadata, else
// its file name without extension); model versions are not supported:
//
//	GET  /v2                       {"name": "rakam", "version": ..., "extensions": []}
//	GET  /v2/health/live           200, empty body
//	GET  /v2/health/ready          200, or 400 while draining (the protocol:
//	                               4xx means false), empty body
//	GET  /v2/models/NAME           metadata: platform "rakam_safetensors",
//	                               input "input" FP32 [-1, 784], outputs
//	                               "probabilities" FP32 [-1, 10] and
//	                               "label" INT64 [-1]
//	GET  /v2/models/NAME/ready     as /v2/health/ready
//	POST /v2/models/NAME/infer     {"id": "1", "inputs": [{"name": "input",
//	                               "datatype": "FP32", "shape": [N, 784],
//	                               "data": [N*784 pixels in 0..1]}],
//	                               "outputs": [{"name": "label"}]}
//
// An inference request has one input named "input" of datatype FP32 and
// shape [N, 784] or [N, 1, 28, 28], 1 <= N <= Config.MaxInferImages (and
// at most QueueSize*MaxBatch, what the queue can hold); data
// flat in row-major order or nested as the shape, as the protocol allows.
// The optional "outputs" list picks outputs (default both); "id" is echoed;
// "parameters" are accepted and ignored. The answer holds "model_name",
// "id" and "outputs": "probabilities" (FP32, [N, 10], flat) and "label"
// (INT64, [N]), the same values POST /v1/predict gives for the same pixels.
// A request's images are split into jobs of at most MaxBatch and go
// through the same queue and workers as /v1.
//
// Every failure is a JSON object {"error": "..."} with a 4xx status naming
// what was wrong with the request (404 an unknown path or model name, 405 a
// wrong method, 413 too large, 415 wrong content type or not an image,
// 429 too much work queued, 400 anything else malformed:
// in /v2, a wrong datatype, name or shape, data that does not fill the
// shape, a value that is not a number in 0..1); 5xx means a bug in rakam.
//
// The flags of an answer come from Config.Thresholds (infer.Thresholds:
// not_digit below one top probability, unsure below another). In number
// mode, infer.SegmentNumber finds the digits left to right (touching ones
// cut apart, specks ignored) and the parts go through the workers as one
// request; the number is unsure when a digit is, when a part is not a
// digit, or when a cut is doubtful, and reasons says which.
//
// Serve stops gracefully: when its context ends, readiness fails at once
// and the server keeps answering for Config.DrainDelay (so a load balancer
// can notice, as a Kubernetes preStop sleep would let it), then stops
// accepting and gives requests in flight up to Config.ShutdownTimeout.
//
// With Config.CORSOrigin set, responses to that origin carry
// Access-Control-Allow-Origin and preflight OPTIONS requests get 204;
// without it, no CORS header is ever sent.
//
// Models are not safe for concurrent use, so predictions go through a queue
// drained by one worker per model replica, each running its replica
// through infer.Runner (Model is a thin wrapper of it): the inference path
// of rakam eval and rakam predict, so the answers are theirs, bit for bit. A worker takes every request
// waiting in the queue (up to Config.MaxBatch) and runs them as one batch:
// under load, batches grow and the per-prediction cost falls, without adding
// latency when the server is idle. When the queue is full, requests are
// refused with 429 rather than piling up.
package serve
