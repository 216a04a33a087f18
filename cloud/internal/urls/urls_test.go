package urls

import "testing"

func TestBuilder(t *testing.T) {
	b := New("https://pay.example.com/")
	for _, c := range []struct{ got, want string }{
		{b.Base(), "https://pay.example.com"},
		{b.Store("tok"), "https://pay.example.com/s/tok"},
		{b.Manage("tok"), "https://pay.example.com/m/tok"},
		{b.Clerk("tok"), "https://pay.example.com/c/tok"},
		{b.Plate("tok"), "https://pay.example.com/p/tok"},
		{b.Activation("manager", "st1", "tok"), "https://pay.example.com/activate/manager/st1/tok"},
		{b.Pair("stand-1", "4827"), "https://pay.example.com/pair?code=4827&stand=stand-1"},
		{b.Pair("a&b", "1 2"), "https://pay.example.com/pair?code=1+2&stand=a%26b"},
		{b.Order("QR123"), "https://pay.example.com/o/QR123"},
		{b.StoreStands("st1"), "https://pay.example.com/store/st1/stands"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
