package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// Read decodes the results.json that Write produced back into an Input,
// so a report can be rendered again (after a change to this package, say)
// without re-running the study. The analysis and chart list in the file
// are ignored: they are recomputed from the numbers. The Input is
// validated as Write validates it.
func Read(r io.Reader) (*Input, error) {
	dec := json.NewDecoder(r)
	var in Input
	if err := dec.Decode(&in); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("report: results JSON: %w (at byte %d)", err, se.Offset)
		case errors.As(err, &te):
			return nil, fmt.Errorf("report: results JSON: field %q: %w (at byte %d)", te.Field, err, te.Offset)
		case errors.Is(err, io.EOF):
			return nil, fmt.Errorf("report: results JSON: empty input: %w", io.ErrUnexpectedEOF)
		}
		return nil, fmt.Errorf("report: results JSON: %w", err)
	}
	if _, err := prepare(&in); err != nil {
		return nil, err
	}
	return &in, nil
}

// ReadFile is Read of the file at path.
func ReadFile(path string) (*Input, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	defer f.Close()
	in, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return in, nil
}
