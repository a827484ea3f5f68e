package nn

import "math"

// im2colRef is the plain statement of tensor.Im2Col, kept as its test
// reference: it writes the (C·KH·KW, OH·OW) patch matrix of one (C, H, W) image
// into col, whose rows are ld apart:
// col[((c·KH+i)·KW+j)·ld + oy·OW+ox] = x[c][oy·s−p+i][ox·s−p+j], 0 outside.
func im2colRef(col []float32, ld int, x []float32, c, h, w, kh, kw, s, p, oh, ow int) {
	hw := oh * ow
	for ch := 0; ch < c; ch++ {
		img := x[ch*h*w : (ch+1)*h*w]
		for i := 0; i < kh; i++ {
			for j := 0; j < kw; j++ {
				r := ((ch*kh+i)*kw + j) * ld
				row := col[r : r+hw]
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

// col2imRef is the plain statement of tensor.Col2Im: it sets x to zero and adds every entry of
// col (rows ld apart) back to the pixel it was copied from.
func col2imRef(x, col []float32, ld int, c, h, w, kh, kw, s, p, oh, ow int) {
	clear(x[:c*h*w])
	hw := oh * ow
	for ch := 0; ch < c; ch++ {
		img := x[ch*h*w : (ch+1)*h*w]
		for i := 0; i < kh; i++ {
			for j := 0; j < kw; j++ {
				r := ((ch*kh+i)*kw + j) * ld
				row := col[r : r+hw]
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

// convBackwardRef is the textbook statement of a Conv2D's gradients for the
// output gradient dy of n examples, in float64: dw[o][c][i][j] = Σ dy·x,
// db[o] = Σ dy, dx[c][y][x] = Σ w·dy over the outputs whose window covers
// the pixel. mdw, mdb and mdx are the same sums of absolute values, the
// scale float32 rounding errors are measured against.
func convBackwardRef(c *Conv2D, x, dy []float32, n int) (dw, db, dx, mdw, mdb, mdx []float64) {
	w := c.W.Value.Data
	dw, mdw = make([]float64, len(w)), make([]float64, len(w))
	db, mdb = make([]float64, c.OutC), make([]float64, c.OutC)
	dx, mdx = make([]float64, len(x)), make([]float64, len(x))
	for e := 0; e < n; e++ {
		for o := 0; o < c.OutC; o++ {
			for oy := 0; oy < c.OutH; oy++ {
				for ox := 0; ox < c.OutW; ox++ {
					g := float64(dy[((e*c.OutC+o)*c.OutH+oy)*c.OutW+ox])
					db[o] += g
					mdb[o] += math.Abs(g)
					for ch := 0; ch < c.InC; ch++ {
						for i := 0; i < c.KH; i++ {
							for j := 0; j < c.KW; j++ {
								iy, ix := oy*c.Stride-c.Pad+i, ox*c.Stride-c.Pad+j
								if iy < 0 || iy >= c.InH || ix < 0 || ix >= c.InW {
									continue
								}
								wi := ((o*c.InC+ch)*c.KH+i)*c.KW + j
								xi := ((e*c.InC+ch)*c.InH+iy)*c.InW + ix
								dw[wi] += g * float64(x[xi])
								mdw[wi] += math.Abs(g * float64(x[xi]))
								dx[xi] += g * float64(w[wi])
								mdx[xi] += math.Abs(g * float64(w[wi]))
							}
						}
					}
				}
			}
		}
	}
	return
}
