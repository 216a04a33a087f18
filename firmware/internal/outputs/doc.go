// Package outputs holds the stand's output devices behind small
// interfaces: receipt printers (a simulated one that writes ESC/POS .bin and
// a rendered .png into a folder; a device file such as /dev/usb/lp0; a TCP
// 9100 printer) and announcers (the speech.Speaker, and a simulated one that
// writes each announcement's text and WAV into a folder).
//
// The printer package (printer/...) encodes and renders receipts; the
// transports here are deliberately thin until printer/ ships its own queue.
package outputs
