package onnxpb

// A small parser of the proto3 subset onnx.proto uses, for TestProtoMatchesGo.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// protoScalars are the scalar type names of proto3.
var protoScalars = map[string]bool{
	"double": true, "float": true, "int32": true, "int64": true, "uint32": true, "uint64": true,
	"sint32": true, "sint64": true, "fixed32": true, "fixed64": true, "sfixed32": true, "sfixed64": true,
	"bool": true, "string": true, "bytes": true,
}

// protoTokens splits proto source into identifiers (with dots), numbers,
// quoted strings and one-character symbols, dropping comments.
func protoTokens(src string) ([]string, error) {
	var toks []string
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.HasPrefix(src[i:], "//"):
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, fmt.Errorf("unterminated comment at byte %d", i)
			}
			i += end + 4
		case c == '"' || c == '\'':
			end := strings.IndexByte(src[i+1:], c)
			if end < 0 {
				return nil, fmt.Errorf("unterminated string at byte %d", i)
			}
			toks = append(toks, src[i:i+end+2])
			i += end + 2
		case c == '_' || c == '.' || c == '-' || unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c)):
			j := i + 1
			for j < len(src) && (src[j] == '_' || src[j] == '.' || unicode.IsLetter(rune(src[j])) || unicode.IsDigit(rune(src[j]))) {
				j++
			}
			toks = append(toks, src[i:j])
			i = j
		default:
			toks = append(toks, string(c))
			i++
		}
	}
	return toks, nil
}

// protoParser reads the proto3 subset of onnx.proto: syntax, package,
// option, message (nested), enum, oneof, and fields with an optional
// "repeated" or "optional" label. Anything else is an error, so a construct
// added to onnx.proto that this test does not understand fails it rather
// than being skipped.
type protoParser struct {
	toks []string
	pos  int
	pkg  string
	// types maps each message and enum full name to "message" or "enum".
	types map[string]string
	// fields are the fields in declaration order, with their types as
	// written; resolve turns the type names into full names.
	fields []protoField
	// lines describe the messages, enums and enum values.
	lines []string
}

type protoField struct {
	scope, name, typ, label string
	number                  int
}

func (p *protoParser) next() string {
	if p.pos >= len(p.toks) {
		return ""
	}
	p.pos++
	return p.toks[p.pos-1]
}

func (p *protoParser) expect(want string) error {
	if got := p.next(); got != want {
		return fmt.Errorf("token %d: got %q; want %q", p.pos, got, want)
	}
	return nil
}

func (p *protoParser) number() (int, error) {
	t := p.next()
	n, err := strconv.Atoi(t)
	if err != nil {
		return 0, fmt.Errorf("token %d: got %q; want a number", p.pos, t)
	}
	return n, nil
}

// skipStatement skips up to and including the next ";".
func (p *protoParser) skipStatement() error {
	for {
		switch p.next() {
		case ";":
			return nil
		case "":
			return fmt.Errorf("missing ';' at the end")
		}
	}
}

func (p *protoParser) file() error {
	for p.pos < len(p.toks) {
		switch t := p.next(); t {
		case "syntax":
			if err := p.expect("="); err != nil {
				return err
			}
			if s := p.next(); s != `"proto3"` {
				return fmt.Errorf("syntax %s; this check reads proto3", s)
			}
			if err := p.expect(";"); err != nil {
				return err
			}
		case "package":
			p.pkg = p.next()
			if err := p.expect(";"); err != nil {
				return err
			}
		case "option":
			if err := p.skipStatement(); err != nil {
				return err
			}
		case "message":
			if err := p.message(p.pkg); err != nil {
				return err
			}
		case "enum":
			if err := p.enum(p.pkg); err != nil {
				return err
			}
		default:
			return fmt.Errorf("token %d: unexpected %q at the top level", p.pos, t)
		}
	}
	return nil
}

func (p *protoParser) message(scope string) error {
	full := scope + "." + p.next()
	p.types[full] = "message"
	p.lines = append(p.lines, "message "+full)
	if err := p.expect("{"); err != nil {
		return err
	}
	for {
		switch t := p.next(); t {
		case "}":
			return nil
		case "message":
			if err := p.message(full); err != nil {
				return err
			}
		case "enum":
			if err := p.enum(full); err != nil {
				return err
			}
		case "oneof":
			name := p.next()
			if err := p.expect("{"); err != nil {
				return err
			}
			for {
				if p.pos < len(p.toks) && p.toks[p.pos] == "}" {
					p.pos++
					break
				}
				if err := p.field(full, p.next(), "oneof "+name); err != nil {
					return err
				}
			}
		case "repeated", "optional":
			if err := p.field(full, p.next(), t); err != nil {
				return err
			}
		case "", "reserved", "extensions", "map", "option", "extend", "required", "group":
			return fmt.Errorf("token %d: %q in message %s is not read by this check; extend protoParser", p.pos, t, full)
		default:
			if err := p.field(full, t, "singular"); err != nil {
				return err
			}
		}
	}
}

// field reads "name = number;" after the type.
func (p *protoParser) field(scope, typ, label string) error {
	name := p.next()
	if err := p.expect("="); err != nil {
		return err
	}
	n, err := p.number()
	if err != nil {
		return err
	}
	if err := p.expect(";"); err != nil {
		return fmt.Errorf("field %s.%s: %v (field options are not read by this check)", scope, name, err)
	}
	p.fields = append(p.fields, protoField{scope: scope, name: name, typ: typ, label: label, number: n})
	return nil
}

func (p *protoParser) enum(scope string) error {
	full := scope + "." + p.next()
	p.types[full] = "enum"
	p.lines = append(p.lines, "enum "+full)
	if err := p.expect("{"); err != nil {
		return err
	}
	for {
		name := p.next()
		switch name {
		case "}":
			return nil
		case "", "option", "reserved":
			return fmt.Errorf("token %d: %q in enum %s is not read by this check", p.pos, name, full)
		}
		if err := p.expect("="); err != nil {
			return err
		}
		n, err := p.number()
		if err != nil {
			return err
		}
		if err := p.expect(";"); err != nil {
			return err
		}
		p.lines = append(p.lines, fmt.Sprintf("enum value %s.%s = %d", full, name, n))
	}
}

// resolve finds the full name of a type named in scope, searching from the
// innermost scope outward as protoc does.
func (p *protoParser) resolve(scope, name string) (string, error) {
	if strings.HasPrefix(name, ".") {
		if _, ok := p.types[name[1:]]; ok {
			return name[1:], nil
		}
		return "", fmt.Errorf("unknown type %s", name)
	}
	for s := scope; ; {
		if _, ok := p.types[s+"."+name]; ok {
			return s + "." + name, nil
		}
		i := strings.LastIndexByte(s, '.')
		if i < 0 {
			break
		}
		s = s[:i]
	}
	if _, ok := p.types[name]; ok {
		return name, nil
	}
	return "", fmt.Errorf("unknown type %s in %s", name, scope)
}

// describeProto returns one line per message, field, enum and enum value
// declared in the proto source.
func describeProto(src string) ([]string, error) {
	toks, err := protoTokens(src)
	if err != nil {
		return nil, err
	}
	p := &protoParser{toks: toks, types: map[string]string{}}
	if err := p.file(); err != nil {
		return nil, err
	}
	lines := slices.Clone(p.lines)
	for _, f := range p.fields {
		typ := f.typ
		if !protoScalars[typ] {
			if typ, err = p.resolve(f.scope, f.typ); err != nil {
				return nil, fmt.Errorf("field %s.%s: %v", f.scope, f.name, err)
			}
		}
		lines = append(lines, fmt.Sprintf("field %s.%s = %d %s %s", f.scope, f.name, f.number, typ, f.label))
	}
	slices.Sort(lines)
	return lines, nil
}
