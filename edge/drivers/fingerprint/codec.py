"""R30x / AS608 / ZFM packets: encode and decode, command codes, confirmation codes, reply layouts.

Packet, big-endian: ``EF 01 | address (4) | identifier (1) | length (2) |
content | checksum (2)``. Length counts the content and the checksum; the
checksum is the low 16 bits of the sum of the identifier, both length bytes and
the content. Identifiers: 01 command, 02 data, 07 acknowledge, 08 end of data.
A command's content is its instruction code and parameters; an acknowledge's
is a confirmation code and the results. Templates travel as data packets of
the module's packet size (32/64/128/256 bytes), the last one as end of data.

Sources, checked against each other (checksums recomputed by hand):
- the R30x, R307 and R503 user manuals (Hangzhou Grow Technology): packet
  format, instruction set, 512-byte templates, 9600 x N baud (N = 6 by default);
- the AS608 user manual's confirmation-code table (Chinese), as transcribed in
  public AS608 drivers (e.g. 8534404/intelligent-lock ``HARDWARE/AS608/as608.h``);
- bastianraschke/pyfingerprint ``pyfingerprint.py``: framing and checksum, the
  ReadSysPara fields, ReadIndexTable's bit order (bit 0 of byte 0 is the first
  page), UpChar and DownChar (data packets, the last one 08; no acknowledge
  after a download's last packet);
- adafruit/Adafruit-Fingerprint-Sensor-Library ``Adafruit_Fingerprint.h`` and
  LibDriver's ``driver_as608.h``: command and confirmation codes, packet-size codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from edge.drivers.framing import Rejected
from edge.errors import FingerprintPacketError

HEADER = b"\xef\x01"
DEFAULT_ADDRESS = 0xFFFFFFFF
HEAD_BYTES = 9  # header, address, identifier, length
MIN_LENGTH, MAX_LENGTH = 3, 256 + 2  # one content byte at least; a 256-byte data packet at most
PACKET_SIZES = (32, 64, 128, 256)  # by the packet-size code of ReadSysPara
TEMPLATE_BYTES = 512
INDEX_PAGE_BITS = 256  # one ReadIndexTable page: 32 bytes, one bit per library page
BAD_HEAD = "fingerprint packet with a bad identifier or length"  # a false header in noise, as a Rejected reason


class Pid(IntEnum):
    """Package identifier."""

    COMMAND = 0x01
    DATA = 0x02
    ACK = 0x07
    END = 0x08


class Command(IntEnum):
    """Instruction codes, named as in the datasheet."""

    GenImg = 0x01
    Img2Tz = 0x02
    Match = 0x03
    Search = 0x04
    RegModel = 0x05
    Store = 0x06
    LoadChar = 0x07
    UpChar = 0x08
    DownChar = 0x09
    DeletChar = 0x0C
    Empty = 0x0D
    ReadSysPara = 0x0F
    VfyPwd = 0x13
    TemplateNum = 0x1D
    ReadIndexTable = 0x1F


@dataclass(frozen=True, slots=True)
class Confirmation:
    name: str
    zh: str
    en: str


CONFIRMATIONS: dict[int, Confirmation] = {
    code: Confirmation(*texts)
    for code, texts in {
        0x00: ("ok", "指令执行完毕", "command complete"),
        0x01: ("packet_receive_error", "数据包接收错误", "error receiving the packet"),
        0x02: ("no_finger", "传感器上没有手指", "no finger on the sensor"),
        0x03: ("image_failed", "录入指纹图像失败", "failed to take the fingerprint image"),
        0x04: ("image_too_dry", "指纹图像太干、太淡而生不成特征", "image too dry or faint for features"),
        0x05: ("image_too_wet", "指纹图像太湿、太糊而生不成特征", "image too wet or blurred for features"),
        0x06: ("poor_image", "指纹图像太乱而生不成特征", "image too disorderly for features"),
        0x07: ("too_few_features", "特征点太少或面积太小而生不成特征", "too few feature points, or too small an area"),
        0x08: ("no_match", "指纹不匹配", "the fingerprints do not match"),
        0x09: ("not_found", "没搜索到指纹", "no matching fingerprint in the library"),
        0x0A: ("combine_failed", "特征合并失败", "failed to combine the character files"),
        0x0B: ("bad_page", "地址序号超出指纹库范围", "page id beyond the fingerprint library"),
        0x0C: ("template_read_error", "读模板出错或模板无效", "template read from the library failed, or invalid"),
        0x0D: ("upload_failed", "上传特征失败", "failed to upload the template"),
        0x0E: ("cannot_receive", "模块不能接收后续数据包", "the module cannot receive the following data packets"),
        0x0F: ("image_upload_failed", "上传图像失败", "failed to upload the image"),
        0x10: ("delete_failed", "删除模板失败", "failed to delete the template"),
        0x11: ("empty_failed", "清空指纹库失败", "failed to clear the fingerprint library"),
        0x12: ("low_power_failed", "不能进入低功耗状态", "cannot enter the low-power state"),
        0x13: ("wrong_password", "口令不正确", "wrong password"),
        0x14: ("reset_failed", "系统复位失败", "system reset failed"),
        0x15: ("no_valid_image", "缓冲区内没有有效原始图而生不成图像", "no valid image in the image buffer"),
        0x16: ("upgrade_failed", "在线升级失败", "online upgrade failed"),
        0x17: ("finger_not_moved", "残留指纹或两次采集间手指未移动", "residual print, or the finger did not move"),
        0x18: ("flash_error", "读写 FLASH 出错", "flash read or write error"),
        0x19: ("undefined_error", "未定义错误", "undefined error"),
        0x1A: ("invalid_register", "无效寄存器号", "invalid register number"),
        0x1B: ("bad_register_value", "寄存器设定内容错误", "wrong register setting"),
        0x1C: ("bad_notepad_page", "记事本页码指定错误", "wrong notepad page number"),
        0x1D: ("port_failed", "端口操作失败", "communication port operation failed"),
        0x1E: ("enroll_failed", "自动注册失败", "automatic enrolment failed"),
        0x1F: ("library_full", "指纹库满", "the fingerprint library is full"),
        0x20: ("wrong_address", "地址码错误", "wrong module address"),
        0x21: ("password_required", "必须验证口令", "the password must be verified first"),
    }.items()
}
UNKNOWN = Confirmation("unknown", "未知确认码", "unknown confirmation code")


def confirmation(code: int) -> Confirmation:
    return CONFIRMATIONS.get(code, UNKNOWN)


@dataclass(frozen=True, slots=True)
class FpPacket:
    pid: int
    content: bytes
    address: int = DEFAULT_ADDRESS


def checksum(body: bytes) -> int:
    """Over the identifier, the length and the content."""
    return sum(body) & 0xFFFF


def encode(pid: int, content: bytes, address: int = DEFAULT_ADDRESS) -> bytes:
    if not 1 <= len(content) <= MAX_LENGTH - 2:
        raise ValueError(f"packet content of {len(content)} bytes; 1 to {MAX_LENGTH - 2} fit")
    body = bytes([pid]) + (len(content) + 2).to_bytes(2, "big") + content
    return HEADER + address.to_bytes(4, "big") + body + checksum(body).to_bytes(2, "big")


def encode_command(command: int, params: bytes = b"", address: int = DEFAULT_ADDRESS) -> bytes:
    return encode(Pid.COMMAND, bytes([command]) + params, address)


def encode_data(data: bytes, packet_size: int, address: int = DEFAULT_ADDRESS) -> list[bytes]:
    """``data`` as data packets of ``packet_size`` bytes, the last one an end-of-data packet."""
    if not data or packet_size not in PACKET_SIZES:
        raise ValueError(f"cannot send {len(data)} bytes in packets of {packet_size}")
    chunks = [data[i : i + packet_size] for i in range(0, len(data), packet_size)]
    return [encode(Pid.END if i == len(chunks) - 1 else Pid.DATA, c, address) for i, c in enumerate(chunks)]


def decode(buf: bytes) -> tuple[list[FpPacket | Rejected], bytes]:
    """Packets found in ``buf`` and the bytes to keep for the next call.

    Bytes before a header are skipped. A header with an impossible identifier
    or length, or a packet whose checksum does not match, is returned as a
    Rejected, and scanning resumes one byte after its ``EF``, so a good packet
    hidden behind a false header is still found.
    """
    packets: list[FpPacket | Rejected] = []
    i = 0
    while (start := buf.find(HEADER, i)) >= 0:
        if len(buf) - start < HEAD_BYTES:
            return packets, buf[start:]
        pid, length = buf[start + 6], int.from_bytes(buf[start + 7 : start + 9], "big")
        end = start + HEAD_BYTES + length
        if pid not in Pid._value2member_map_ or not MIN_LENGTH <= length <= MAX_LENGTH:
            packets.append(Rejected(BAD_HEAD, buf[start : start + HEAD_BYTES]))
        elif len(buf) < end:
            return packets, buf[start:]
        elif checksum(buf[start + 6 : end - 2]) != int.from_bytes(buf[end - 2 : end], "big"):
            # Only the head is shown: the content may be a fingerprint template.
            head = buf[start : start + HEAD_BYTES]
            packets.append(Rejected("fingerprint packet checksum mismatch", head, checksum=True))
        else:
            address = int.from_bytes(buf[start + 2 : start + 6], "big")
            packets.append(FpPacket(pid, buf[start + HEAD_BYTES : end - 2], address))
            i = end
            continue
        i = start + 1
    return packets, buf[-1:] if buf.endswith(HEADER[:1]) else b""


@dataclass(frozen=True, slots=True)
class SystemParameters:
    """ReadSysPara's 16 bytes: eight big-endian fields."""

    status: int  # status register: bit 0 busy, 1 matched, 2 password verified, 3 image buffer valid
    system_id: int
    capacity: int  # library pages
    security_level: int  # 1 (lowest) to 5
    address: int
    packet_size: int  # bytes, from the code 0-3
    baud: int  # 9600 x N


def parse_system_parameters(data: bytes) -> SystemParameters:
    if len(data) < 16:
        raise FingerprintPacketError(f"指纹模块参数不完整 / ReadSysPara reply of {len(data)} bytes, expected 16")
    status, system_id, capacity, level, _, _, size_code, baud_n = (
        int.from_bytes(data[i : i + 2], "big") for i in range(0, 16, 2)
    )
    if size_code >= len(PACKET_SIZES):
        raise FingerprintPacketError(f"指纹模块参数错误 / ReadSysPara packet-size code {size_code}")
    address = int.from_bytes(data[8:12], "big")
    return SystemParameters(status, system_id, capacity, level, address, PACKET_SIZES[size_code], 9600 * baud_n)


def parse_index_table(index_page: int, bitmap: bytes) -> set[int]:
    """Library pages in use, from one ReadIndexTable page (bit 0 of byte 0 is its first page)."""
    first = index_page * INDEX_PAGE_BITS
    return {first + 8 * i + bit for i, byte in enumerate(bitmap[:32]) for bit in range(8) if byte >> bit & 1}
