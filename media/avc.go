package media

import "encoding/binary"

// What Matroska needs to know of H.264 and Opus streams: the AVC decoder configuration and the
// picture size from the sequence parameter set, and the OpusHead.

// NAL unit types (ITU-T H.264 table 7-1).
const (
	nalIDR = 5
	nalSPS = 7
	nalPPS = 8
)

// scanAVC walks a frame of 4-byte length-prefixed NAL units: key reports an IDR picture, and
// sps and pps are the frame's parameter sets, if it carries them.
func scanAVC(frame []byte) (key bool, sps, pps []byte) {
	for len(frame) >= 4 {
		n := binary.BigEndian.Uint32(frame)
		frame = frame[4:]
		if n == 0 || uint64(n) > uint64(len(frame)) {
			return key, sps, pps
		}
		nal := frame[:n]
		frame = frame[n:]
		switch nal[0] & 0x1f {
		case nalIDR:
			key = true
		case nalSPS:
			sps = nal
		case nalPPS:
			pps = nal
		}
	}
	return key, sps, pps
}

// avcDecoderConfig is the AVCDecoderConfigurationRecord (ISO/IEC 14496-15) of one SPS and one
// PPS, with 4-byte NAL lengths: Matroska's CodecPrivate for V_MPEG4/ISO/AVC.
func avcDecoderConfig(sps, pps []byte) []byte {
	if len(sps) < 4 {
		return nil
	}
	b := []byte{1, sps[1], sps[2], sps[3], 0xfc | 3, 0xe0 | 1}
	b = binary.BigEndian.AppendUint16(b, uint16(len(sps)))
	b = append(b, sps...)
	b = append(b, 1)
	b = binary.BigEndian.AppendUint16(b, uint16(len(pps)))
	return append(b, pps...)
}

// spsDimensions reads the cropped picture size from a sequence parameter set (H.264 7.3.2.1.1);
// 0, 0 if it does not parse.
func spsDimensions(sps []byte) (width, height int) {
	if len(sps) < 4 {
		return 0, 0
	}
	// Drop the emulation-prevention bytes: 00 00 03 stands for 00 00.
	rbsp := make([]byte, 0, len(sps))
	zeros := 0
	for _, b := range sps[1:] {
		if zeros >= 2 && b == 3 {
			zeros = 0
			continue
		}
		if b == 0 {
			zeros++
		} else {
			zeros = 0
		}
		rbsp = append(rbsp, b)
	}
	r := &bitReader{b: rbsp}
	profile := r.bits(8)
	r.bits(16) // constraint flags, level
	r.ue()     // seq_parameter_set_id
	chroma := uint(1)
	switch profile {
	case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135:
		chroma = r.ue()
		if chroma == 3 {
			r.bits(1) // separate_colour_plane_flag
		}
		r.ue()              // bit_depth_luma_minus8
		r.ue()              // bit_depth_chroma_minus8
		r.bits(1)           // qpprime_y_zero_transform_bypass_flag
		if r.bits(1) == 1 { // seq_scaling_matrix_present_flag
			lists := 8
			if chroma == 3 {
				lists = 12
			}
			for i := range lists {
				if r.bits(1) == 1 {
					size := 16
					if i >= 6 {
						size = 64
					}
					last, next := 8, 8
					for range size {
						if next != 0 {
							next = (last + r.se() + 256) % 256
						}
						if next != 0 {
							last = next
						}
					}
				}
			}
		}
	}
	r.ue()          // log2_max_frame_num_minus4
	switch r.ue() { // pic_order_cnt_type
	case 0:
		r.ue() // log2_max_pic_order_cnt_lsb_minus4
	case 1:
		r.bits(1) // delta_pic_order_always_zero_flag
		r.se()    // offset_for_non_ref_pic
		r.se()    // offset_for_top_to_bottom_field
		for range min(r.ue(), 255) {
			r.se()
		}
	}
	r.ue()    // max_num_ref_frames
	r.bits(1) // gaps_in_frame_num_value_allowed_flag
	w := int(r.ue()) + 1
	h := int(r.ue()) + 1
	frameMBsOnly := int(r.bits(1))
	if frameMBsOnly == 0 {
		r.bits(1) // mb_adaptive_frame_field_flag
	}
	r.bits(1) // direct_8x8_inference_flag
	width, height = w*16, (2-frameMBsOnly)*h*16
	if r.bits(1) == 1 { // frame_cropping_flag
		left, right, top, bottom := int(r.ue()), int(r.ue()), int(r.ue()), int(r.ue())
		cx, cy := 1, 2-frameMBsOnly
		switch chroma {
		case 1:
			cx, cy = 2, 2*(2-frameMBsOnly)
		case 2:
			cx = 2
		}
		width -= cx * (left + right)
		height -= cy * (top + bottom)
	}
	if r.bad || width <= 0 || height <= 0 || width > 16384 || height > 16384 {
		return 0, 0
	}
	return width, height
}

// bitReader reads an RBSP's bits and Exp-Golomb codes; past the end it reads zeros and sets bad.
type bitReader struct {
	b   []byte
	pos int
	bad bool
}

func (r *bitReader) bits(n int) uint {
	var v uint
	for range n {
		if r.pos >= len(r.b)*8 {
			r.bad = true
			return v << 1
		}
		v = v<<1 | uint(r.b[r.pos/8]>>(7-r.pos%8)&1)
		r.pos++
	}
	return v
}

func (r *bitReader) ue() uint {
	zeros := 0
	for r.bits(1) == 0 {
		if zeros++; zeros > 31 || r.bad {
			r.bad = true
			return 0
		}
	}
	return 1<<zeros - 1 + r.bits(zeros)
}

func (r *bitReader) se() int {
	v := r.ue()
	if v%2 == 1 {
		return int(v+1) / 2
	}
	return -int(v / 2)
}

// opusHead is the OpusHead of an Opus stream as WebRTC sends it (RFC 7845 5.1): 48 kHz, no
// pre-skip (the stream was live, nothing to trim), channel mapping family 0.
func opusHead(channels int) []byte {
	b := []byte("OpusHead")
	b = append(b, 1, byte(channels))
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint32(b, 48000)
	b = binary.LittleEndian.AppendUint16(b, 0)
	return append(b, 0)
}
