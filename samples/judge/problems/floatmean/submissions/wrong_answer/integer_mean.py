n = int(input())
xs = list(map(float, input().split()))
print(int(sum(xs) // n))
