package optim

import "math"

// GlobalNorm returns the L2 norm of all gradients taken together,
// accumulated in float64.
func GlobalNorm(params []Param) float64 {
	var s float64
	for i := range params {
		for _, g := range params[i].Grad {
			s += float64(float64(g) * float64(g))
		}
	}
	return math.Sqrt(s)
}

// ClipGlobalNorm scales every gradient by max/(norm+1e-6) when their global
// norm exceeds max, as PyTorch's clip_grad_norm_ does, and returns the norm
// before clipping. A NaN or Inf norm is returned without touching the
// gradients, so the divergence guard sees it.
func ClipGlobalNorm(params []Param, max float64) float64 {
	norm := GlobalNorm(params)
	if max <= 0 || math.IsNaN(norm) || math.IsInf(norm, 0) || norm <= max {
		return norm
	}
	c := float32(max / (norm + 1e-6))
	for i := range params {
		g := params[i].Grad
		for j := range g {
			g[j] *= c
		}
	}
	return norm
}
