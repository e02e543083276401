# The sun and the four giant planets under Newtonian gravity, advanced with a semi-implicit
# Euler step (velocities from the pairwise forces, then positions); prints the system's
# energy before and after. Written for sowa's benchmark: plain floats, lists and loops, the
# part of CPython a numeric script leans on. The step count is the first argument.
import sys

PI = 3.141592653589793
YEAR = 365.24
G = 4 * PI * PI  # in AU^3 / (solar mass * year^2)

# name: position (AU), velocity (AU/day), mass (solar masses)
PLANETS = {
    "jupiter": ((4.84143144246472090e00, -1.16032004402742839e00, -1.03622044471123109e-01),
                (1.66007664274403694e-03, 7.69901118419740425e-03, -6.90460016972063023e-05),
                9.54791938424326609e-04),
    "saturn": ((8.34336671824457987e00, 4.12479856412430479e00, -4.03523417114321381e-01),
               (-2.76742510726862411e-03, 4.99852801234917238e-03, 2.30417297573763929e-05),
               2.85885980666130812e-04),
    "uranus": ((1.28943695621391310e01, -1.51111514016986312e01, -2.23307578892655734e-01),
               (2.96460137564761618e-03, 2.37847173959480950e-03, -2.96589568540237556e-05),
               4.36624404335156298e-05),
    "neptune": ((1.53796971148509165e01, -2.59193146099879641e01, 1.79258772950371181e-01),
                (2.68067772490389322e-03, 1.62824170038242295e-03, -9.51592254519715870e-05),
                5.15138902046611451e-05),
}


def make_system():
    bodies = [[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, G]]
    for pos, vel, mass in PLANETS.values():
        bodies.append([pos[0], pos[1], pos[2],
                       vel[0] * YEAR, vel[1] * YEAR, vel[2] * YEAR, mass * G])
    # Give the sun the momentum that makes the system's total zero.
    px = sum(b[3] * b[6] for b in bodies)
    py = sum(b[4] * b[6] for b in bodies)
    pz = sum(b[5] * b[6] for b in bodies)
    sun = bodies[0]
    sun[3], sun[4], sun[5] = -px / G, -py / G, -pz / G
    return bodies


def energy(bodies):
    e = 0.0
    for i, a in enumerate(bodies):
        e += 0.5 * a[6] * (a[3] * a[3] + a[4] * a[4] + a[5] * a[5])
        for b in bodies[i + 1:]:
            dx, dy, dz = a[0] - b[0], a[1] - b[1], a[2] - b[2]
            e -= a[6] * b[6] / (dx * dx + dy * dy + dz * dz) ** 0.5
    return e


def advance(bodies, steps, dt):
    pairs = [(bodies[i], bodies[j]) for i in range(len(bodies)) for j in range(i + 1, len(bodies))]
    for _ in range(steps):
        for a, b in pairs:
            dx, dy, dz = a[0] - b[0], a[1] - b[1], a[2] - b[2]
            d2 = dx * dx + dy * dy + dz * dz
            mag = dt / (d2 * d2 ** 0.5)
            ma, mb = a[6] * mag, b[6] * mag
            a[3] -= dx * mb
            a[4] -= dy * mb
            a[5] -= dz * mb
            b[3] += dx * ma
            b[4] += dy * ma
            b[5] += dz * ma
        for body in bodies:
            body[0] += dt * body[3]
            body[1] += dt * body[4]
            body[2] += dt * body[5]


steps = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
system = make_system()
print("%.9f" % energy(system))
advance(system, steps, 0.01)
print("%.9f" % energy(system))
