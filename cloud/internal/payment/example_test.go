package payment_test

import (
	"fmt"

	"github.com/qrstand/qrstand/cloud/internal/payment"
)

// Receipts and stands show the payer masked.
func ExampleMaskOpenID() {
	fmt.Println(payment.MaskOpenID("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"))
	// Output: oUp…S6o
}
