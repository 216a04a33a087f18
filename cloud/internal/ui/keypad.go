package ui

// keypadKeys are the pay page's amount keys, in grid order.
var keypadKeys = []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", ".", "0", "⌫"}

// keypadID names a key's element id: key-0…key-9, key-dot, key-del.
func keypadID(k string) string {
	switch k {
	case ".":
		return "dot"
	case "⌫":
		return "del"
	}
	return k
}
