import hashlib
import io

import pytest

from forensics.evidence.hashing import CHUNK_SIZE, digest_stream, sha256_file


@pytest.mark.parametrize("size", [1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE + 17])
def test_one_pass_gives_the_three_digests_and_an_identical_copy(size):
    data = bytes((i * 7919) % 251 for i in range(size))
    copy = io.BytesIO()
    seen = []
    digests = digest_stream(io.BytesIO(data), copy_to=copy, progress=seen.append)
    assert digests.sha256 == hashlib.sha256(data).hexdigest()
    assert digests.sha1 == hashlib.sha1(data).hexdigest()
    assert digests.md5 == hashlib.md5(data).hexdigest()
    assert digests.size == size == sum(seen)
    assert copy.getvalue() == data
    assert sha256_file(io.BytesIO(data)) == digests.sha256


def test_a_failing_copy_raises_instead_of_returning_digests():
    class Full(io.BytesIO):
        def write(self, _data):
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        digest_stream(io.BytesIO(b"x" * (2 * CHUNK_SIZE)), copy_to=Full())
