package biz_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/qrstand/qrstand/mqtt/biz"
)

func ExampleParseYuan() {
	fen, err := biz.ParseYuan("12.5")
	fmt.Println(fen, err, biz.FormatFen(fen), biz.Yuan(fen))
	_, err = biz.ParseYuan(".5")
	fmt.Println(errors.Is(err, biz.ErrSyntax))
	// Output:
	// 1250 <nil> 12.50 ￥12.50
	// true
}

func ExampleDay() {
	paid := time.Date(2026, 11, 24, 16, 30, 0, 0, time.UTC)
	fmt.Println(biz.Day(paid), paid.In(biz.Zone).Format("15:04"))
	// Output: 2026-11-25 00:30
}
