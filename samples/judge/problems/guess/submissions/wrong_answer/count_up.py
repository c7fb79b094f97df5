# Guesses 1, 2, 3, ...: ten tries are not enough past 10.
for guess in range(1, 1001):
    print(guess, flush=True)
    if input() == "correct":
        break
