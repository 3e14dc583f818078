package yara

import "strings"

func binaryOp(sym string, a, b value) value {
	if a.k == vUnknown || b.k == vUnknown {
		return unknown
	}
	if a.k == vUndef || b.k == vUndef {
		return undef
	}
	if a.k == vStr || b.k == vStr {
		if a.k != vStr || b.k != vStr {
			return undef
		}
		return stringOp(sym, a.s, b.s)
	}
	if a.k == vFloat || b.k == vFloat {
		return floatOp(sym, a.float(), b.float())
	}
	x, y := a.i, b.i
	switch sym {
	case "+":
		return intVal(x + y)
	case "-":
		return intVal(x - y)
	case "*":
		return intVal(x * y)
	case "\\", "%":
		if y == 0 || (x == -1<<63 && y == -1) {
			return undef
		}
		if sym == "%" {
			return intVal(x % y)
		}
		return intVal(x / y)
	case "&":
		return intVal(x & y)
	case "|":
		return intVal(x | y)
	case "^":
		return intVal(x ^ y)
	case "<<", ">>":
		if y < 0 {
			return undef
		}
		if y >= 64 {
			return intVal(0)
		}
		if sym == "<<" {
			return intVal(x << y)
		}
		return intVal(x >> y)
	}
	return compare(sym, cmpInt(x, y))
}

func (v value) float() float64 {
	if v.k == vFloat {
		return v.f
	}
	return float64(v.i)
}

func cmpInt(x, y int64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func compare(sym string, c int) value {
	switch sym {
	case "==":
		return boolVal(c == 0)
	case "!=":
		return boolVal(c != 0)
	case "<":
		return boolVal(c < 0)
	case "<=":
		return boolVal(c <= 0)
	case ">":
		return boolVal(c > 0)
	case ">=":
		return boolVal(c >= 0)
	}
	return undef
}

func floatOp(sym string, x, y float64) value {
	switch sym {
	case "+":
		return value{k: vFloat, f: x + y}
	case "-":
		return value{k: vFloat, f: x - y}
	case "*":
		return value{k: vFloat, f: x * y}
	case "\\":
		if y == 0 {
			return undef
		}
		return value{k: vFloat, f: x / y}
	}
	c := 0
	if x < y {
		c = -1
	} else if x > y {
		c = 1
	}
	return compare(sym, c)
}

func stringOp(sym, a, b string) value {
	switch sym {
	case "contains":
		return boolVal(strings.Contains(a, b))
	case "icontains":
		return boolVal(strings.Contains(strings.ToLower(a), strings.ToLower(b)))
	case "startswith":
		return boolVal(strings.HasPrefix(a, b))
	case "istartswith":
		return boolVal(strings.HasPrefix(strings.ToLower(a), strings.ToLower(b)))
	case "endswith":
		return boolVal(strings.HasSuffix(a, b))
	case "iendswith":
		return boolVal(strings.HasSuffix(strings.ToLower(a), strings.ToLower(b)))
	case "iequals":
		return boolVal(strings.EqualFold(a, b))
	}
	return compare(sym, strings.Compare(a, b))
}
