package epd

import (
	"encoding/binary"
	"fmt"
	"image"

	"periph.io/x/devices/v3/ssd1306/image1bit"
)

// ram emulates the black/white and red RAMs of the Waveshare 2.13" V2's
// controller from the datasheet's command descriptions: 0x11 data entry
// mode, 0x44/0x45 window, 0x4E/0x4F address counters, 0x24/0x26 RAM writes
// (X in bytes, MSB = leftmost pixel, 1 = white).
type ram struct {
	w, h     int // pixels
	bw, red  []byte
	x0, x1   int // window, bytes
	y0, y1   int // window, rows
	ax, ay   int // address counter
	entry    byte
	writes   map[byte]int // bytes written per RAM command
	updates  []byte       // 0x21 option of each 0x20 master activation
	opt21    byte
	opt22    byte
	lastLUT  []byte
	sleeping bool
}

func newRAM(w, h int) *ram {
	n := (w + 7) / 8 * h
	return &ram{w: w, h: h, bw: make([]byte, n), red: make([]byte, n), writes: map[byte]int{}}
}

func (m *ram) apply(cmds []cmd) error {
	for _, c := range cmds {
		switch c.c {
		case 0x11:
			m.entry = c.data[0]
		case 0x44:
			m.x0, m.x1 = int(c.data[0]), int(c.data[1])
		case 0x45:
			m.y0 = int(binary.LittleEndian.Uint16(c.data[0:]))
			m.y1 = int(binary.LittleEndian.Uint16(c.data[2:]))
		case 0x4E:
			m.ax = int(c.data[0])
		case 0x4F:
			m.ay = int(binary.LittleEndian.Uint16(c.data[0:]))
		case 0x24, 0x26:
			if m.entry != 0b011 {
				return fmt.Errorf("data entry mode %03b not emulated", m.entry)
			}
			dst := m.bw
			if c.c == 0x26 {
				dst = m.red
			}
			stride := (m.w + 7) / 8
			for _, b := range c.data {
				if m.ax >= stride || m.ay >= m.h {
					return fmt.Errorf("RAM write outside the panel at byte %d row %d", m.ax, m.ay)
				}
				dst[m.ay*stride+m.ax] = b
				m.ax++
				if m.ax > m.x1 {
					m.ax = m.x0
					m.ay++
				}
			}
			m.writes[c.c] += len(c.data)
		case 0x21:
			m.opt21 = c.data[0]
		case 0x22:
			m.opt22 = c.data[0]
		case 0x32:
			m.lastLUT = c.data
		case 0x20:
			if m.opt22&0x04 != 0 { // "display" bit: this activation refreshes the glass
				m.updates = append(m.updates, m.opt21)
			}
		case 0x10:
			m.sleeping = c.data[0] != 0
		case 0x12:
			m.sleeping = false
		}
	}
	return nil
}

// image returns the black/white RAM as a frame.
func (m *ram) image(buf []byte) *image1bit.VerticalLSB {
	img := image1bit.NewVerticalLSB(image.Rect(0, 0, m.w, m.h))
	stride := (m.w + 7) / 8
	for y := range m.h {
		for x := range m.w {
			img.SetBit(x, y, buf[y*stride+x/8]&(0x80>>(x%8)) != 0)
		}
	}
	return img
}
