package imageprep

import "encoding/binary"

// Orientation returns the EXIF orientation (1..8) recorded in an encoded
// image: how its stored pixels must be turned to show the scene upright
// (6: a quarter turn clockwise, 8: anticlockwise, 3: half a turn; 2, 4, 5
// and 7 mirror as well). It is 1 for a file that records none, or that is
// no JPEG.
func Orientation(data []byte) int { return exifOrientation(data) }

// exifOrientation returns the EXIF orientation (1..8) of a JPEG file, or 1
// when there is none. Cameras and phones store pixels as the sensor read
// them and record in this tag how to turn them for display; a phone photo
// of a digit is often stored lying on its side (6 or 8). Every read is
// bounds-checked: the bytes are untrusted.
func exifOrientation(data []byte) int {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return 1
	}
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xFF {
			return 1
		}
		marker := data[i+1]
		if marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0xFF {
			i += 2 // no length
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // start of scan, end of image
			return 1
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return 1
		}
		seg := data[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

// tiffOrientation reads tag 0x0112 from the first IFD of a TIFF structure.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return 1
	}
	off := int64(bo.Uint32(t[4:]))
	if off < 8 || off+2 > int64(len(t)) {
		return 1
	}
	count := int64(bo.Uint16(t[off:]))
	for k := range count {
		e := off + 2 + 12*k
		if e+12 > int64(len(t)) {
			return 1
		}
		if bo.Uint16(t[e:]) == 0x0112 && bo.Uint16(t[e+2:]) == 3 { // SHORT
			if v := int(bo.Uint16(t[e+8:])); v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}

// orient turns a plane as EXIF orientation o says, so that it shows the
// scene upright.
func orient(p plane, o int) plane {
	if o <= 1 || o > 8 {
		return p
	}
	w, h := p.w, p.h
	out := plane{w: w, h: h}
	if o >= 5 { // the four orientations that swap width and height
		out.w, out.h = h, w
	}
	out.p = make([]float32, len(p.p))
	for y := range out.h {
		for x := range out.w {
			var sx, sy int
			switch o {
			case 2: // mirrored left-right
				sx, sy = w-1-x, y
			case 3: // turned 180°
				sx, sy = w-1-x, h-1-y
			case 4: // mirrored top-bottom
				sx, sy = x, h-1-y
			case 5: // transposed
				sx, sy = y, x
			case 6: // needs a quarter turn clockwise
				sx, sy = y, h-1-x
			case 7: // transversed
				sx, sy = w-1-y, h-1-x
			case 8: // needs a quarter turn anticlockwise
				sx, sy = w-1-y, x
			}
			out.p[y*out.w+x] = p.p[sy*w+sx]
		}
	}
	return out
}
