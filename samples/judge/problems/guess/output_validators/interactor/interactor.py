"""Interactor: the secret is in the input file. The submission guesses a number between 1 and 1000
per line; the interactor answers "lower", "higher" or "correct". Ten guesses at most."""
import sys

secret = int(open(sys.argv[1]).read())
feedback = sys.argv[3]


def reject(why):
    with open(feedback + "judgemessage.txt", "w") as f:
        f.write(why + "\n")
    sys.exit(43)


for guesses in range(1, 11):
    line = sys.stdin.readline()
    if not line:
        reject("the submission ended without guessing the number")
    try:
        guess = int(line)
    except ValueError:
        reject("not a number: %r" % line.strip()[:40])
    if guess == secret:
        print("correct", flush=True)
        sys.exit(42)
    print("lower" if guess > secret else "higher", flush=True)
reject("no correct guess in 10 tries")
