package filecheck

import "testing"

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"67108864", 64 << 20},
		{"64MiB", 64 << 20},
		{"64mib", 64 << 20},
		{"64MB", 64_000_000},
		{"64M", 64 << 20},
		{" 1 GiB ", 1 << 30},
		{"512KB", 512_000},
		{"10b", 10},
		{"0", 0},
		{"-5MB", 0},
		{"MB", 0},
		{"1.5GB", 0},
		{"99999999999TiB", 0},
	} {
		got, err := ParseSize(tc.in)
		if tc.want == 0 {
			if err == nil {
				t.Errorf("ParseSize(%q) = %d, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v, want %d", tc.in, got, err, tc.want)
		}
	}
}
