package money_test

import (
	"errors"
	"fmt"

	"github.com/qrstand/qrstand/cloud/internal/money"
	"github.com/qrstand/qrstand/mqtt/biz"
)

func ExampleParseYuan() {
	fen, err := money.ParseYuan(" 12.5 ", 5_000_000)
	fmt.Println(fen, err, biz.FormatFen(fen))

	_, err = money.ParseYuan("0.001", 5_000_000)
	var ie *money.InputError
	if errors.As(err, &ie) {
		fmt.Println(errors.Is(err, money.ErrPrecision), ie.Message("zh-CN"))
	}
	// Output:
	// 1250 <nil> 12.50
	// true 金额最多保留两位小数（精确到分）
}
