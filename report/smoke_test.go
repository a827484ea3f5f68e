package report

import (
	"os"
	"testing"
)

func TestSmokeWrite(t *testing.T) {
	dir := os.Getenv("REPORT_SMOKE_DIR")
	if dir == "" {
		t.Skip("REPORT_SMOKE_DIR not set")
	}
	if err := Write(dir, fixture()); err != nil {
		t.Fatal(err)
	}
}
