package nn

import (
	"fmt"
	"math"

	"github.com/rakam-ml/rakam/tensor"
)

// SoftmaxCrossEntropy is the softmax followed by the cross-entropy loss,
// fused: for logits z (N, K) and integer labels it returns
//
//	loss = (1/N) Σ_i Σ_j −t_ij · log softmax(z_i)_j
//
// with targets t_ij = (1 − Smoothing)·[j = label_i] + Smoothing/K (label
// smoothing as in Szegedy et al. 2016, PyTorch's label_smoothing and
// Keras'), and the gradient dz = (softmax(z) − t)/N. A row labelled
// NoClass is an outlier, none of the K classes: its target is uniform,
// t_ij = 1/K (outlier exposure). The log-softmax is
// computed as z − max − log Σ exp(z − max) in float64, so no logit is too
// large or too small.
type SoftmaxCrossEntropy struct {
	Smoothing float32

	Prob *tensor.Tensor // softmax of the last logits, (N, K)
	grad *tensor.Tensor
}

// NoClass labels an example that is none of the classes (a letter or a
// scribble shown to a digit model): SoftmaxCrossEntropy trains its
// probabilities towards uniform, so that the model's top probability is low
// on such input (outlier exposure: Hendrycks, Mazeika and Dietterich,
// "Deep anomaly detection with outlier exposure", ICLR 2019).
const NoClass uint8 = 255

// Forward returns the mean loss over the batch and dlogits (N, K), which
// the loss owns until the next call. Labels must be in 0..K−1 or NoClass;
// a label out of range is an error, as is a batch/label count mismatch.
func (l *SoftmaxCrossEntropy) Forward(logits *tensor.Tensor, labels []uint8) (float64, *tensor.Tensor, error) {
	if len(logits.Shape) != 2 {
		return 0, nil, fmt.Errorf("nn: SoftmaxCrossEntropy: logits shape %v, want (N, K)", logits.Shape)
	}
	n, k := logits.Shape[0], logits.Shape[1]
	if len(labels) != n {
		return 0, nil, fmt.Errorf("nn: SoftmaxCrossEntropy: %d labels for %d logit rows", len(labels), n)
	}
	l.Prob = reuse(l.Prob, n, k)
	l.grad = reuse(l.grad, n, k)
	eps := float64(l.Smoothing)
	off := eps / float64(k)
	invN := 1 / float64(max(n, 1))
	var total float64
	for i := 0; i < n; i++ {
		lab := int(labels[i])
		outlier := labels[i] == NoClass
		if lab >= k && !outlier {
			return 0, nil, fmt.Errorf("nn: SoftmaxCrossEntropy: label %d at row %d out of range for %d classes", lab, i, k)
		}
		z := logits.Data[i*k : (i+1)*k]
		p := l.Prob.Data[i*k : (i+1)*k]
		g := l.grad.Data[i*k : (i+1)*k]
		mx := math.Inf(-1)
		for _, v := range z {
			mx = math.Max(mx, float64(v))
		}
		var sum float64
		for _, v := range z {
			sum += math.Exp(float64(v) - mx)
		}
		lse := mx + math.Log(sum)
		var rowLoss float64
		for j, v := range z {
			logp := float64(v) - lse
			pj := math.Exp(logp)
			t := off
			if outlier {
				t = 1 / float64(k)
			} else if j == lab {
				t += 1 - eps
			}
			if t != 0 {
				rowLoss -= float64(t * logp)
			}
			p[j] = float32(pj)
			g[j] = float32((pj - t) * invN)
		}
		total += rowLoss
	}
	return total * invN, l.grad, nil
}

// Softmax writes the row softmax of logits (N, K) into dst, resized as
// needed, and returns it: the probabilities a model's logits stand for.
func Softmax(dst, logits *tensor.Tensor) *tensor.Tensor {
	n, k := logits.Rows(), logits.Cols()
	dst = reuse(dst, n, k)
	tensor.SoftmaxRows(n, k, dst.Data, logits.Data)
	return dst
}
