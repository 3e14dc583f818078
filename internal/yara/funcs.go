package yara

import (
	"encoding/binary"
	"math"
)

// call evaluates uintN/intN(offset) readers and the math functions.
func (s *scanner) call(ri int, e *expr) value {
	args := make([]value, len(e.args))
	for i, a := range e.args {
		if args[i] = s.eval(ri, a); args[i].k == vUndef {
			return undef
		}
	}
	if len(args) == 0 || args[0].k != vInt {
		return undef
	}
	if len(e.sym) > 5 && e.sym[:5] == "math." {
		// Rules repeat math.entropy(500, filesize-500) and friends; each
		// is a pass over the input, so results are kept per scan.
		key := mathKey{fn: e.sym, a: args[0].i}
		if len(args) > 1 {
			key.b = args[1].i
		}
		if len(args) > 2 {
			key.c = args[2].float()
		}
		if v, ok := s.mathCache[key]; ok {
			return v
		}
		v := s.mathCall(e.sym, args)
		if s.mathCache == nil {
			s.mathCache = map[mathKey]value{}
		}
		s.mathCache[key] = v
		return v
	}
	return readInt(s.data, e.sym, args[0].i)
}

type mathKey struct {
	fn   string
	a, b int64
	c    float64
}

func (s *scanner) mathCall(fn string, args []value) value {
	switch fn {
	case "math.entropy", "math.mean":
		b, ok := s.block(args[0], args[1])
		if !ok {
			return undef
		}
		if fn == "math.mean" {
			return value{k: vFloat, f: mean(b)}
		}
		return value{k: vFloat, f: entropy(b)}
	case "math.deviation":
		b, ok := s.block(args[0], args[1])
		if !ok {
			return undef
		}
		return value{k: vFloat, f: deviation(b, args[2].float())}
	case "math.count":
		b, ok := s.block(args[1], args[2])
		if !ok || args[0].i < 0 || args[0].i > 255 {
			return undef
		}
		n := 0
		for _, c := range b {
			if int64(c) == args[0].i {
				n++
			}
		}
		return intVal(int64(n))
	}
	return undef
}

// block returns data[off:off+size], clamped at the end like YARA's math
// module; an offset outside the data is undefined.
func (s *scanner) block(off, size value) ([]byte, bool) {
	if off.k != vInt || size.k != vInt || off.i < 0 || size.i < 0 || off.i >= int64(len(s.data)) {
		return nil, false
	}
	end := min(off.i+size.i, int64(len(s.data)))
	return s.data[off.i:end], true
}

func readInt(data []byte, fn string, off int64) value {
	width := map[string]int64{"uint8": 1, "int8": 1, "uint16": 2, "int16": 2, "uint16be": 2, "int16be": 2}[fn]
	if width == 0 {
		width = 4
	}
	if off < 0 || off > int64(len(data))-width {
		return undef
	}
	b := data[off : off+width]
	switch fn {
	case "uint8":
		return intVal(int64(b[0]))
	case "int8":
		return intVal(int64(int8(b[0])))
	case "uint16":
		return intVal(int64(binary.LittleEndian.Uint16(b)))
	case "int16":
		return intVal(int64(int16(binary.LittleEndian.Uint16(b))))
	case "uint16be":
		return intVal(int64(binary.BigEndian.Uint16(b)))
	case "int16be":
		return intVal(int64(int16(binary.BigEndian.Uint16(b))))
	case "uint32":
		return intVal(int64(binary.LittleEndian.Uint32(b)))
	case "int32":
		return intVal(int64(int32(binary.LittleEndian.Uint32(b))))
	case "uint32be":
		return intVal(int64(binary.BigEndian.Uint32(b)))
	case "int32be":
		return intVal(int64(int32(binary.BigEndian.Uint32(b))))
	}
	return undef
}

func entropy(b []byte) float64 {
	if len(b) == 0 {
		return 0
	}
	var counts [256]int
	for _, c := range b {
		counts[c]++
	}
	h, n := 0.0, float64(len(b))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

func mean(b []byte) float64 {
	if len(b) == 0 {
		return 0
	}
	sum := 0.0
	for _, c := range b {
		sum += float64(c)
	}
	return sum / float64(len(b))
}

func deviation(b []byte, m float64) float64 {
	if len(b) == 0 {
		return 0
	}
	sum := 0.0
	for _, c := range b {
		sum += math.Abs(float64(c) - m)
	}
	return sum / float64(len(b))
}
