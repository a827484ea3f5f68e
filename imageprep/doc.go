// Package imageprep implements the preprocessing that turns an arbitrary image
// of a handwritten or printed digit into the 28x28 form the MNIST models were
// trained on.
//
// The MNIST convention (LeCun, Cortes and Burges, "The MNIST database of
// handwritten digits") is: a white digit on a black background, the digit
// scaled so that its longer side fits a 20x20 box with its aspect ratio kept
// and antialiased, then placed in a 28x28 frame so that its centre of mass is
// at the centre. Prepare applies that convention to PNG, JPEG, GIF, BMP, TIFF
// and WebP files of any size and colour model:
//
//  1. the image's dimensions are read with image.DecodeConfig and checked
//     against Limits before any pixel is decoded (decompression bombs are
//     rejected without allocating);
//  2. the image is converted to luminance, with transparent pixels composited
//     onto a background that contrasts with the visible content, reduced by
//     area averaging to at most 1024 pixels on a side, and turned upright
//     as a JPEG's EXIF orientation says (phones store photos on their side);
//  3. the background is estimated from the border pixels (a robust quadratic
//     fit, so uneven lighting in photos is removed) and the ink is whichever
//     side of the background the strong deviations are on: a dark digit on
//     light paper is inverted automatically. When the paper level measured
//     in cells across the whole image (cells where ink covers the paper
//     are found as dips below a quadratic through the cells around them)
//     departs from that surface (a shadow across the page), a surface
//     through those cells replaces it if it leaves less of the image on
//     the wrong side of the paper, or half or less of the border
//     surface's deviations (a shadow inside a lit border) without going
//     darker than a shadow does; when ruled lines or a shadow along the
//     border swell the border's noise threshold, the shadow surface is
//     tried with the noise between neighbouring pixels (faint pencil);
//  4. sensor noise below a threshold derived from the noise's spread is
//     cut; the lines of ruled or squared paper (three or more long, thin,
//     parallel straight lines, found on a reduced copy at every tilt up to
//     20 degrees; pieces at the image's edge measured along their own
//     fit) are erased where no stroke crosses them, and so are one or two
//     lines that cross nearly the whole image and run well past the ink at
//     both ends (lined paper photographed close, a margin); specks much
//     smaller than the digit are dropped, and the ink is cropped to its
//     bounding box; when the "ink" is one solid block (a sheet of paper
//     photographed on a darker desk), the search is repeated inside it;
//  5. ink whose edges fade over more than a pixel at the output scale (a
//     small scan enlarged smoothly, a blurred photo) is sharpened around
//     half strength and cropped again, after an unsharp mask where they fade
//     over more than 1.5 (so that the grey a smoothed enlargement leaves in
//     a small loop is not read as ink); crisp strokes wider than 4 px at the
//     output scale are eroded towards 3 and strokes thinner than MNIST's
//     (about 2.8 px at 28x28) are thickened; the crop is resampled so that
//     its longer side is 20 px (area averaging when shrinking, bilinear
//     when enlarging) and placed by centre of mass.
//
// The result holds 784 float32 values in 0..1 (pixel/255, the normalisation
// of the data package) and the same pixels as a 28x28 *image.Gray.
//
// Each stage has its file: decode.go and exif.go (1), luminance.go (2),
// background.go and shadow.go (3), ink.go and ruling.go (4), soft.go,
// stroke.go, resample.go and place.go (5); prepare.go runs them in order.
// The choices were made on the tuning sets of internal/outside, and the
// pipeline is measured there against the textbook one (docs/outside.md).
package imageprep
