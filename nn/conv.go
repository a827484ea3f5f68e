package nn

import (
	"math/rand/v2"

	"github.com/rakam-ml/rakam/tensor"
)

// Conv2D is a 2-D convolution (cross-correlation, as in every framework)
// over NCHW batches with square kernels, equal stride in both directions
// and zero padding of Pad pixels on every side.
//
// W is stored as (OutC, InC, KH, KW), the layout of PyTorch and of ONNX's
// Conv; B is (OutC). Each example is lowered with im2col to a
// (InC·KH·KW, OH·OW) matrix so the convolution is one GEMM:
// y[n] (OutC, OH·OW) = W (OutC, InC·KH·KW) · col (InC·KH·KW, OH·OW).
type Conv2D struct {
	InC, InH, InW int
	OutC, OutH    int
	OutW          int
	KH, KW        int
	Stride, Pad   int
	W, B          *Param

	x     *tensor.Tensor
	y, dx *tensor.Tensor
	col   []float32 // im2col of one example, (InC·KH·KW, OH·OW)
	dcol  []float32
}

// NewConv2D returns a Conv2D for per-example input shape in = (C, H, W)
// with outC filters of k×k, weights from the named initialiser ("he",
// "glorot" or "small") and zero biases. Its Params are "weight" and "bias".
func NewConv2D(in []int, outC, k, stride, pad int, init string, rng *rand.Rand) *Conv2D {
	c := &Conv2D{
		InC: in[0], InH: in[1], InW: in[2],
		OutC: outC, KH: k, KW: k, Stride: stride, Pad: pad,
	}
	c.OutH = convOut(c.InH, k, stride, pad)
	c.OutW = convOut(c.InW, k, stride, pad)
	c.W = &Param{Name: "weight", Value: tensor.New(outC, c.InC, k, k), Grad: tensor.New(outC, c.InC, k, k), Decay: true}
	c.B = &Param{Name: "bias", Value: tensor.New(outC), Grad: tensor.New(outC)}
	initWeights(c.W.Value.Data, init, c.InC*k*k, outC*k*k, rng)
	return c
}

func (c *Conv2D) Kind() string     { return "Conv2D" }
func (c *Conv2D) Params() []*Param { return []*Param{c.W, c.B} }
func (c *Conv2D) State() []*Param  { return nil }
func (c *Conv2D) OutShape(in []int) []int {
	return []int{c.OutC, c.OutH, c.OutW}
}
func (c *Conv2D) FLOPs(in []int) int64 {
	k := int64(c.InC * c.KH * c.KW)
	return int64(c.OutC*c.OutH*c.OutW) * (2*k + 1)
}

func (c *Conv2D) kdim() int { return c.InC * c.KH * c.KW }

// Forward: x is (N, InC, InH, InW); y is (N, OutC, OutH, OutW).
func (c *Conv2D) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	inSize := c.InC * c.InH * c.InW
	checkIn("Conv2D", x, inSize)
	n := x.Rows()
	c.x = x
	c.y = tensor.EnsureShape(c.y, n, c.OutC, c.OutH, c.OutW)
	k, hw := c.kdim(), c.OutH*c.OutW
	c.col = grow(c.col, k*hw)
	outSize := c.OutC * hw
	for i := 0; i < n; i++ {
		im2col(c.col, x.Data[i*inSize:(i+1)*inSize], c.InC, c.InH, c.InW, c.KH, c.KW, c.Stride, c.Pad, c.OutH, c.OutW)
		y := c.y.Data[i*outSize : (i+1)*outSize]
		tensor.Gemm(tensor.NoTrans, tensor.NoTrans, c.OutC, hw, k, 1, c.W.Value.Data, k, c.col, hw, 0, y, hw)
		for o, b := range c.B.Value.Data {
			row := y[o*hw : (o+1)*hw]
			for j := range row {
				row[j] += b
			}
		}
	}
	return c.y
}

// Backward: dy is (N, OutC, OutH, OutW). Per example, with col recomputed
// from x (keeping every example's col would cost N times the memory):
// dW (OutC, K) += dy[n] (OutC, OH·OW) · colᵀ; db[o] += Σ dy[n][o];
// dcol (K, OH·OW) = Wᵀ · dy[n]; dx[n] (InC, InH, InW) = col2im(dcol).
func (c *Conv2D) Backward(dy *tensor.Tensor, needDx bool) *tensor.Tensor {
	n := c.x.Rows()
	inSize := c.InC * c.InH * c.InW
	k, hw := c.kdim(), c.OutH*c.OutW
	outSize := c.OutC * hw
	checkIn("Conv2D.Backward", dy, outSize)
	c.col = grow(c.col, k*hw)
	if needDx {
		c.dcol = grow(c.dcol, k*hw)
		c.dx = tensor.EnsureShape(c.dx, n, c.InC, c.InH, c.InW)
	}
	db := c.B.Grad.Data
	clear(db)
	for i := 0; i < n; i++ {
		g := dy.Data[i*outSize : (i+1)*outSize]
		im2col(c.col, c.x.Data[i*inSize:(i+1)*inSize], c.InC, c.InH, c.InW, c.KH, c.KW, c.Stride, c.Pad, c.OutH, c.OutW)
		var beta float32 = 1
		if i == 0 {
			beta = 0
		}
		tensor.Gemm(tensor.NoTrans, tensor.Trans, c.OutC, k, hw, 1, g, hw, c.col, hw, beta, c.W.Grad.Data, k)
		for o := range db {
			var s float32
			for _, v := range g[o*hw : (o+1)*hw] {
				s += v
			}
			db[o] += s
		}
		if needDx {
			tensor.Gemm(tensor.Trans, tensor.NoTrans, k, hw, c.OutC, 1, c.W.Value.Data, k, g, hw, 0, c.dcol, hw)
			col2im(c.dx.Data[i*inSize:(i+1)*inSize], c.dcol, c.InC, c.InH, c.InW, c.KH, c.KW, c.Stride, c.Pad, c.OutH, c.OutW)
		}
	}
	if n == 0 {
		clear(c.W.Grad.Data)
	}
	if !needDx {
		return nil
	}
	return c.dx
}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// im2col writes the (C·KH·KW, OH·OW) patch matrix of one (C, H, W) image:
// col[(c·KH+i)·KW+j][oy·OW+ox] = x[c][oy·s−p+i][ox·s−p+j], 0 outside.
func im2col(col, x []float32, c, h, w, kh, kw, s, p, oh, ow int) {
	hw := oh * ow
	for ch := 0; ch < c; ch++ {
		img := x[ch*h*w : (ch+1)*h*w]
		for i := 0; i < kh; i++ {
			for j := 0; j < kw; j++ {
				row := col[((ch*kh+i)*kw+j)*hw : ((ch*kh+i)*kw+j+1)*hw]
				for oy := 0; oy < oh; oy++ {
					iy := oy*s - p + i
					dst := row[oy*ow : (oy+1)*ow]
					if iy < 0 || iy >= h {
						clear(dst)
						continue
					}
					src := img[iy*w : (iy+1)*w]
					for ox := range dst {
						ix := ox*s - p + j
						if ix < 0 || ix >= w {
							dst[ox] = 0
						} else {
							dst[ox] = src[ix]
						}
					}
				}
			}
		}
	}
}

// col2im is im2col's adjoint: it sets x to zero and adds every entry of
// col back to the pixel it was copied from.
func col2im(x, col []float32, c, h, w, kh, kw, s, p, oh, ow int) {
	clear(x[:c*h*w])
	hw := oh * ow
	for ch := 0; ch < c; ch++ {
		img := x[ch*h*w : (ch+1)*h*w]
		for i := 0; i < kh; i++ {
			for j := 0; j < kw; j++ {
				row := col[((ch*kh+i)*kw+j)*hw : ((ch*kh+i)*kw+j+1)*hw]
				for oy := 0; oy < oh; oy++ {
					iy := oy*s - p + i
					if iy < 0 || iy >= h {
						continue
					}
					dst := img[iy*w : (iy+1)*w]
					src := row[oy*ow : (oy+1)*ow]
					for ox, v := range src {
						ix := ox*s - p + j
						if ix >= 0 && ix < w {
							dst[ix] += v
						}
					}
				}
			}
		}
	}
}
