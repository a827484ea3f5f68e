package nn

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
