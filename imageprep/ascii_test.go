package imageprep

import "strings"

// ascii renders a digit for test logs (go test -v).
func ascii(d *Digit) string {
	var sb strings.Builder
	for y := range Size {
		for x := range Size {
			v := d.Pixels[y*Size+x]
			sb.WriteByte(" .:-=+*#%@"[min(9, int(v*10))])
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}
